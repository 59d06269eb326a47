package org.securep2p.keymanager;

import java.util.Optional;

/**
 * Where the key manager keeps the {@link StateHighWater} of its key directory, out of reach of a home backup:
 * the OS keyring beside the master key ({@link #inKeyring}), or nowhere when the master key comes from a
 * passphrase ({@link #NONE}: a rolled-back state is then not detected, PROTOCOL.md 17).
 *
 * <p>Not its job: deciding what a rollback means ({@link DurableKeyHolder} does).
 */
interface HighWaterStore {

    /** The keyring account prefix; the rest is the key directory's real path, as for the master key. */
    String ACCOUNT_PREFIX = "key-state-generation:";

    /** The last value written, or empty if none ever was. */
    Optional<StateHighWater> read() throws KeyManagerException;

    /** Replaces the value; returns only once the store holds it. */
    void write(StateHighWater value) throws KeyManagerException;

    /** Whether this store keeps anything (false for {@link #NONE}). */
    boolean detectsRollback();

    /** No store: reads nothing, writes nothing. */
    HighWaterStore NONE = new HighWaterStore() {
        @Override
        public Optional<StateHighWater> read() {
            return Optional.empty();
        }

        @Override
        public void write(StateHighWater value) {
        }

        @Override
        public boolean detectsRollback() {
            return false;
        }

        @Override
        public String toString() {
            return "HighWaterStore[none]";
        }
    };

    /** The entry {@code securep2p / key-state-generation:<real path of keyDir>} of {@code keyring}. */
    static HighWaterStore inKeyring(KeyringAccess keyring, String account) {
        return new HighWaterStore() {
            @Override
            public Optional<StateHighWater> read() throws KeyManagerException {
                Optional<String> stored = keyring.get(KeyringMasterKeyStore.SERVICE, account);
                if (stored.isEmpty()) {
                    return Optional.empty();
                }
                return Optional.of(StateHighWater.parse(stored.get()).orElseThrow(() -> new KeyManagerException(
                        KeyManagerException.Reason.CORRUPT_FILE, "keyring entry " + account + " is malformed")));
            }

            @Override
            public void write(StateHighWater value) throws KeyManagerException {
                keyring.set(KeyringMasterKeyStore.SERVICE, account, value.encode());
            }

            @Override
            public boolean detectsRollback() {
                return true;
            }

            @Override
            public String toString() {
                return "HighWaterStore[keyring " + account + "]";
            }
        };
    }
}
