package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.PreKeyViews;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.PREKEY_ALREADY_USED;
import static org.securep2p.crypto.CryptoException.Reason.STATE_NOT_PERSISTED;

/** Opening, restoring and storing through a vault; what happens when the vault or the stored state fails. */
class DurableKeyHolderTest {

    /** The X25519 base point: a valid peer public key. */
    private static final byte[] PEER = new byte[32];

    static {
        PEER[0] = 9;
    }

    @TempDir
    Path temp;

    private final SecureRandom random = new SecureRandom();

    private DurableKeyHolder open(StateVault vault) throws Exception {
        return DurableKeyHolder.open(vault, true, random, Clock.systemUTC(), 3, 1);
    }

    @Test
    void generatesAndStoresOnFirstOpenThenRestoresTheSameIdentity() throws Exception {
        PlainFileStateVault vault = new PlainFileStateVault(temp.resolve("keys"));
        assertThat(vault.load()).isEmpty();
        PreKeyBundle bundle;
        int used;
        try (DurableKeyHolder first = open(vault)) {
            assertThat(vault.load()).isPresent();
            bundle = first.preKeyBundle();
            used = bundle.oneTimePreKey().orElseThrow().id();
            first.consumeOneTimePreKey(used, PEER).close();
        }
        try (DurableKeyHolder second = open(new PlainFileStateVault(temp.resolve("keys")))) {
            assertThat(second.identity()).isEqualTo(bundle.identity());
            assertThatThrownBy(() -> second.consumeOneTimePreKey(used, PEER))
                    .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
            assertThat(PreKeyViews.signedPreKey(second.preKeyBundle())).isEqualTo(PreKeyViews.signedPreKey(bundle));
        }
        assertThat(Files.getPosixFilePermissions(temp.resolve("keys")))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(temp.resolve("keys").resolve(PlainFileStateVault.STATE_FILE)))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void aDamagedStateIsRefusedAndNeverReplacedByANewIdentity() throws Exception {
        Path dir = temp.resolve("keys");
        try (DurableKeyHolder ignored = open(new PlainFileStateVault(dir))) {
            // stored
        }
        Path file = dir.resolve(PlainFileStateVault.STATE_FILE);
        byte[] stored = Files.readAllBytes(file);
        stored[stored.length / 2] ^= 1;
        Files.write(file, stored);
        assertThatThrownBy(() -> open(new PlainFileStateVault(dir)))
                .isInstanceOf(CryptoException.class).hasFieldOrPropertyWithValue("reason", BAD_ENCODING);
        assertThat(Files.readAllBytes(file)).isEqualTo(stored);
    }

    @Test
    void leftoverTemporaryFilesAreRemovedAndNeverRead() throws Exception {
        Path dir = temp.resolve("keys");
        Files.createDirectories(dir);
        Path leftover = dir.resolve(PlainFileStateVault.STATE_FILE + ".123.tmp");
        Files.write(leftover, new byte[] {1, 2, 3});
        PlainFileStateVault vault = new PlainFileStateVault(dir);
        assertThat(leftover).doesNotExist();
        assertThat(vault.load()).isEmpty();
    }

    /** A vault that can be made to fail, over a real one. */
    private static final class FlakyVault implements StateVault {
        final StateVault inner;
        volatile boolean failing;

        FlakyVault(StateVault inner) {
            this.inner = inner;
        }

        @Override
        public Optional<byte[]> load() throws IOException {
            return inner.load();
        }

        @Override
        public void store(byte[] state) throws IOException {
            if (failing) {
                throw new IOException("disk full");
            }
            inner.store(state);
        }

        @Override
        public String location() {
            return inner.location();
        }
    }

    @Test
    void aFailedStoreRefusesTheOperationAndThePreKeyIsNeverUsable() throws Exception {
        FlakyVault vault = new FlakyVault(new PlainFileStateVault(temp.resolve("keys")));
        try (DurableKeyHolder holder = open(vault)) {
            int id = holder.preKeyBundle().oneTimePreKey().orElseThrow().id();
            vault.failing = true;
            assertThatThrownBy(() -> holder.consumeOneTimePreKey(id, PEER))
                    .hasFieldOrPropertyWithValue("reason", STATE_NOT_PERSISTED)
                    .hasMessageNotContaining("keystate");
            vault.failing = false;
            assertThatThrownBy(() -> holder.consumeOneTimePreKey(id, PEER))
                    .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
        }
        // The failed store left the previous state: after a restart the prekey is offered again, but its secret
        // was never returned, so nothing derived from it exists anywhere.
        try (DurableKeyHolder again = open(vault)) {
            assertThat(again.preKeyBundle().oneTimePreKey()).isPresent();
        }
    }

    @Test
    void refusesAnEmptyVaultUnderAnExistingMasterKeyAndMakesNoIdentity() throws Exception {
        PlainFileStateVault vault = new PlainFileStateVault(temp.resolve("keys"));
        assertThatThrownBy(() -> DurableKeyHolder.open(vault, false, random, Clock.systemUTC(), 3, 1))
                .isInstanceOf(KeyManagerException.class)
                .hasFieldOrPropertyWithValue("reason", KeyManagerException.Reason.KEY_FILE_MISSING)
                .hasMessageContaining(PlainFileStateVault.STATE_FILE);
        assertThat(vault.load()).as("no identity minted in place of the lost one").isEmpty();
    }

    @Test
    void bundlesHandedOutConcurrentlyCarryDifferentOneTimePreKeys() throws Exception {
        try (DurableKeyHolder holder = DurableKeyHolder.open(new PlainFileStateVault(temp.resolve("keys")), true,
                random, Clock.systemUTC(), 6, 2)) {
            java.util.List<PreKeyBundle> bundles = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    done.add(pool.submit(() -> {
                        together.await();
                        bundles.add(holder.preKeyBundle());
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            PreKeyBundle a = bundles.get(0);
            PreKeyBundle b = bundles.get(1);
            assertThat(a.oneTimePreKey().orElseThrow().id()).isNotEqualTo(b.oneTimePreKey().orElseThrow().id());
            assertThat(PreKeyViews.kemPreKey(a).id()).isNotEqualTo(PreKeyViews.kemPreKey(b).id());
            // Both peers' handshakes can then consume their own prekey.
            holder.consumeOneTimePreKey(a.oneTimePreKey().orElseThrow().id(), PEER).close();
            holder.consumeOneTimePreKey(b.oneTimePreKey().orElseThrow().id(), PEER).close();
        }
    }

    @Test
    void aRequestWithAMalformedKeyConsumesNoPreKey() throws Exception {
        try (DurableKeyHolder holder = open(new PlainFileStateVault(temp.resolve("keys")))) {
            int id = holder.preKeyBundle().oneTimePreKey().orElseThrow().id();
            assertThatThrownBy(() -> holder.consumeOneTimePreKey(id, new byte[33]))
                    .hasFieldOrPropertyWithValue("reason", BAD_ENCODING);
            assertThatThrownBy(() -> holder.consumeOneTimePreKey(id, new byte[32]))
                    .hasFieldOrPropertyWithValue("reason", CryptoException.Reason.LOW_ORDER_POINT);
            holder.consumeOneTimePreKey(id, PEER).close();
        }
    }

    private DurableKeyHolder open(StateVault vault, HighWaterStore highWater, boolean newKeyDirectory)
            throws Exception {
        return DurableKeyHolder.open(vault, highWater, newKeyDirectory, random, Clock.systemUTC(), 3, 1);
    }

    @Test
    void aRestoredOlderStateIsDetectedAndTheOneTimePreKeyConsumedSinceIsRefused() throws Exception {
        Path dir = temp.resolve("keys");
        Path file = dir.resolve(PlainFileStateVault.STATE_FILE);
        FakeKeyring keyring = new FakeKeyring();
        HighWaterStore highWater = HighWaterStore.inKeyring(keyring, HighWaterStore.ACCOUNT_PREFIX + dir);
        int opk;
        int highestIdIssued;
        byte[] snapshot;
        try (DurableKeyHolder holder = open(new PlainFileStateVault(dir), highWater, true)) {
            PreKeyBundle bundle = holder.preKeyBundle();
            opk = bundle.oneTimePreKey().orElseThrow().id();
            snapshot = Files.readAllBytes(file);
            holder.consumeOneTimePreKey(opk, PEER).close();
            highestIdIssued = holder.preKeyBundle().oneTimePreKey().orElseThrow().id() + 2;
        }
        Files.write(file, snapshot);
        try (DurableKeyHolder holder = open(new PlainFileStateVault(dir), highWater, false)) {
            assertThat(holder.rollbackReport()).hasValueSatisfying(r -> assertThat(r)
                    .contains(PlainFileStateVault.STATE_FILE).contains("discarded"));
            assertThatThrownBy(() -> holder.consumeOneTimePreKey(opk, PEER))
                    .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
            // Every one-time prekey of the old state is gone; the new ones have ids never issued before.
            for (int id = 1; id <= highestIdIssued; id++) {
                int used = id;
                assertThatThrownBy(() -> holder.consumeOneTimePreKey(used, PEER)).isInstanceOf(CryptoException.class);
            }
            assertThat(holder.preKeyBundle().oneTimePreKey().orElseThrow().id()).isGreaterThan(highestIdIssued);
        }
        try (DurableKeyHolder holder = open(new PlainFileStateVault(dir), highWater, false)) {
            assertThat(holder.rollbackReport()).as("recovered once, then current").isEmpty();
        }
    }

    @Test
    void aCrashBetweenTheStateAndTheHighWaterIsNotARollback() throws Exception {
        Path dir = temp.resolve("keys");
        FakeKeyring keyring = new FakeKeyring();
        HighWaterStore real = HighWaterStore.inKeyring(keyring, HighWaterStore.ACCOUNT_PREFIX + dir);
        boolean[] failing = {false};
        HighWaterStore flaky = new HighWaterStore() {
            @Override
            public Optional<StateHighWater> read() throws KeyManagerException {
                return real.read();
            }

            @Override
            public void write(StateHighWater value) throws KeyManagerException {
                if (failing[0]) {
                    throw new KeyManagerException(KeyManagerException.Reason.KEYRING_LOCKED, "test: gone");
                }
                real.write(value);
            }

            @Override
            public boolean detectsRollback() {
                return true;
            }
        };
        int opk;
        try (DurableKeyHolder holder = open(new PlainFileStateVault(dir), flaky, true)) {
            opk = holder.preKeyBundle().oneTimePreKey().orElseThrow().id();
            failing[0] = true;
            // The state is written, the high water is not: the call fails as if the process had died there.
            assertThatThrownBy(() -> holder.consumeOneTimePreKey(opk, PEER))
                    .hasFieldOrPropertyWithValue("reason", STATE_NOT_PERSISTED);
        }
        long recorded = real.read().orElseThrow().generation();
        try (DurableKeyHolder holder = open(new PlainFileStateVault(dir), real, false)) {
            assertThat(holder.rollbackReport()).isEmpty();
            assertThatThrownBy(() -> holder.consumeOneTimePreKey(opk, PEER))
                    .hasFieldOrPropertyWithValue("reason", PREKEY_ALREADY_USED);
        }
        assertThat(real.read().orElseThrow().generation()).as("the high water caught up").isGreaterThan(recorded);
    }

    @Test
    void aStateWrittenBeforeGenerationsOpensAsGenerationZero() throws Exception {
        Path dir = temp.resolve("keys");
        PlainFileStateVault vault = new PlainFileStateVault(dir);
        org.securep2p.crypto.IdentityPublicKeys identity;
        try (org.securep2p.crypto.InMemoryPrivateKeys keys = org.securep2p.crypto.InMemoryPrivateKeys.generate(
                random, Clock.systemUTC(), 3, 1)) {
            identity = keys.identity();
            byte[] bare = org.securep2p.crypto.PrivateKeyState.encodeForSealedStorage(keys);
            vault.store(bare);
            assertThat(DurableKeyHolder.generationOf(bare)).isZero();
        }
        FakeKeyring keyring = new FakeKeyring();
        HighWaterStore highWater = HighWaterStore.inKeyring(keyring, HighWaterStore.ACCOUNT_PREFIX + dir);
        try (DurableKeyHolder holder = open(vault, highWater, false)) {
            assertThat(holder.identity()).isEqualTo(identity);
            assertThat(holder.rollbackReport()).isEmpty();
        }
        assertThat(highWater.read()).isPresent();
    }

    @Test
    void rejectsAFrameOfAnotherVersion() throws Exception {
        byte[] framed = DurableKeyHolder.frame(7, new byte[] {1, 2, 3});
        assertThat(DurableKeyHolder.generationOf(framed)).isEqualTo(7);
        framed[DurableKeyHolder.FRAME_MAGIC.length] = 2;
        assertThatThrownBy(() -> DurableKeyHolder.generationOf(framed))
                .hasFieldOrPropertyWithValue("reason", CryptoException.Reason.UNKNOWN_VERSION);
        byte[] zero = DurableKeyHolder.frame(0, new byte[] {1});
        assertThatThrownBy(() -> DurableKeyHolder.generationOf(zero))
                .hasFieldOrPropertyWithValue("reason", BAD_ENCODING);
    }
}
