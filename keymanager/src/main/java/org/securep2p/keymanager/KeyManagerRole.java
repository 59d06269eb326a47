package org.securep2p.keymanager;

import java.util.Locale;
import java.util.Optional;

/**
 * What a key-manager child is started for, fixed by the parent at launch ({@code --role=} on the child's command
 * line, PROTOCOL.md 16) and the same for every connection it serves: a client cannot claim another role in a
 * request. The role decides which {@code DERIVE_STORAGE_KEY} purposes the child answers, so that the chat app's
 * connection can never obtain the key that seals the organisation CA's private key.
 *
 * <p>Not its job: authenticating the peer (the launch token and {@code SO_PEERCRED} do that).
 */
public enum KeyManagerRole {
    /** The chat app: every storage-key purpose except {@value #CA_PURPOSE}. The default. */
    CHAT,
    /** {@code securep2p ca …}: the {@value #CA_PURPOSE} purpose only. */
    CA;

    /** The storage-key purpose that seals the organisation CA's key (app {@code CaCommand}). */
    public static final String CA_PURPOSE = "ca";

    /** Whether a child started with this role derives the storage key for {@code purpose}. */
    public boolean mayDerive(String purpose) {
        return this == CA ? CA_PURPOSE.equals(purpose) : !CA_PURPOSE.equals(purpose);
    }

    /** The command-line form, e.g. {@code --role=chat}. */
    String option() {
        return ROLE_OPTION_PREFIX + name().toLowerCase(Locale.ROOT);
    }

    static final String ROLE_OPTION_PREFIX = "--role=";

    /** The role an option names, or empty if it names none (the child then refuses to start). */
    static Optional<KeyManagerRole> fromOption(String option) {
        for (KeyManagerRole role : values()) {
            if (role.option().equals(option)) {
                return Optional.of(role);
            }
        }
        return Optional.empty();
    }
}
