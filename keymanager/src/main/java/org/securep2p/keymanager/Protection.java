package org.securep2p.keymanager;

/**
 * Which secret protects the master key at rest, so that the app can show it and write it to the security log.
 */
public enum Protection {
    OS_KEYRING("The keys are protected by the OS keyring (unlocked with your login)."),
    PASSPHRASE("The keys are protected by a passphrase (Argon2id); the OS keyring was not used.");

    private final String sentence;

    Protection(String sentence) {
        this.sentence = sentence;
    }

    /** A complete sentence for the UI and the security log. */
    public String sentence() {
        return sentence;
    }
}
