package org.securep2p.keymanager;

import java.util.Objects;

/**
 * The one checked failure of the key manager. The {@link Reason} says what went wrong in terms the caller can
 * act on (unlock the keyring, ask for the passphrase again, restore a damaged file from a backup), and
 * {@link Reason#sentence()} is a sentence the UI and the security log can show as it is.
 *
 * <p>Messages name files, reasons and sizes only; never key material, passphrases or keyring values.
 */
public final class KeyManagerException extends Exception {

    /**
     * Why the key manager refused or failed, each with a sentence for the user. New reasons are appended; the
     * enum is never used for its ordinal.
     */
    public enum Reason {
        KEYRING_UNAVAILABLE("No OS keyring is available (no Secret Service on the session bus)."),
        KEYRING_LOCKED("The OS keyring is locked; unlock it (log in to the desktop session) and try again."),
        KEYRING_ENTRY_MISSING("The master key is missing from the OS keyring, so the key files cannot be "
                + "decrypted; restore the keyring entry or the keys from a backup."),
        PASSPHRASE_REQUIRED("The keys need a passphrase: run interactively, or give one through "
                + "SECUREP2P_PASSPHRASE_FILE or a file descriptor. There is no default passphrase."),
        PASSPHRASE_FILE_INSECURE("The passphrase file can be read by other users; make it private "
                + "(chmod 600) and try again."),
        PASSPHRASE_INVALID("The passphrase is empty, too long, or not valid text."),
        PASSPHRASE_MISMATCH("The two passphrases entered do not match."),
        WRONG_PASSPHRASE("The passphrase is wrong, or the wrapped master key file is damaged."),
        CORRUPT_FILE("A key file is damaged or was tampered with; it was left untouched for inspection."),
        UNKNOWN_VERSION("A key file was written by a different version of securep2p."),
        INSECURE_DIRECTORY("The key directory can be changed by other users; make it private (chmod 700)."),
        STORAGE_FAILED("A key file could not be read or written."),
        KEY_FILE_MISSING("A key file is missing beside an existing master key; securep2p does not make new keys "
                + "in place of lost ones. Restore the key folder from a backup; only if its very first start was "
                + "interrupted (so it never held an identity), remove it and start again."),
        PASSPHRASE_TOO_WEAK("The new passphrase is too easy to guess; choose a longer one, for example several "
                + "unrelated words.");

        private final String sentence;

        Reason(String sentence) {
            this.sentence = sentence;
        }

        /** A complete sentence for the user; the exception message adds the detail. */
        public String sentence() {
            return sentence;
        }
    }

    private final Reason reason;

    public KeyManagerException(Reason reason, String detail) {
        super(reason + ": " + Objects.requireNonNull(detail, "detail"));
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public KeyManagerException(Reason reason, String detail, Throwable cause) {
        super(reason + ": " + Objects.requireNonNull(detail, "detail"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
