package org.securep2p.relay.server;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.testing.SeededRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link DirectoryStore} guarantees (PROTOCOL.md §23.3, §23.5), run against each implementation: a
 * subclass opens a store, and opens it again on the same data for the checks across instances and reopens.
 */
abstract class DirectoryStoreContract {

    final SeededRandom random = new SeededRandom("directory contract");
    final Instant now = Instant.parse("2026-12-06T12:00:00Z");
    DirectoryStore store;

    /** Opens the store under test; called twice, a second store on the same data (another instance). */
    abstract DirectoryStore openStore() throws Exception;

    DirectoryStore open() throws Exception {
        store = openStore();
        return store;
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    AuthenticatedMember member(String name) {
        byte[] fingerprint = new byte[32];
        random.nextBytes(fingerprint);
        byte[] certificate = new byte[300];
        random.nextBytes(certificate);
        return new AuthenticatedMember(name, fingerprint, new BigInteger(64, random), certificate);
    }

    @Test
    void publishingStoresTheAuthenticatedCertificateAndReplacesAnEarlierEntry() throws Exception {
        open();
        AuthenticatedMember alpha = member("Control-Alpha");
        store.publish(alpha, new byte[] {1, 2, 3}, now);
        store.publish(alpha, new byte[] {4, 5}, now.plusSeconds(1));
        assertThat(store.entries()).hasSize(1);
        DirectoryStore.Stored s = store.entry(alpha.fingerprint()).orElseThrow();
        assertThat(s.name()).isEqualTo("Control-Alpha");
        assertThat(s.fingerprint()).isEqualTo(alpha.fingerprint());
        assertThat(s.serial()).isEqualTo(alpha.serial());
        assertThat(s.entry().certificate()).isEqualTo(alpha.certificate());
        assertThat(s.entry().bundle()).containsExactly(4, 5);
        assertThat(s.entry().published()).isEqualTo(now.plusSeconds(1));
    }

    @Test
    void unpublishingRemovesOnlyThatEntry() throws Exception {
        open();
        AuthenticatedMember a = member("A");
        AuthenticatedMember b = member("B");
        store.publish(a, new byte[] {1}, now);
        store.publish(b, new byte[] {1}, now);
        store.unpublish(a.fingerprint());
        store.unpublish(a.fingerprint()); // again: nothing to remove, no error
        assertThat(store.entry(a.fingerprint())).isEmpty();
        assertThat(store.entries()).extracting(DirectoryStore.Stored::name).containsExactly("B");
    }

    @Test
    void entriesSortByNameByCodePointThenByFingerprint() throws Exception {
        open();
        AuthenticatedMember b1 = member("bravo");
        AuthenticatedMember b2 = member("bravo");
        store.publish(member("Zulu"), new byte[] {1}, now);
        store.publish(b1, new byte[] {1}, now);
        store.publish(b2, new byte[] {1}, now);
        store.publish(member("Alpha"), new byte[] {1}, now);
        store.publish(member("Ärger"), new byte[] {1}, now);
        // Code-point order: upper case before lower case, "Ä" after "z".
        assertThat(store.entries()).extracting(DirectoryStore.Stored::name)
                .containsExactly("Alpha", "Zulu", "bravo", "bravo", "Ärger");
        String first = HexFormat.of().formatHex(store.entries().get(2).fingerprint());
        String second = HexFormat.of().formatHex(store.entries().get(3).fingerprint());
        assertThat(first).isLessThan(second);
    }

    @Test
    void aMemberIsOnlineWhileAFreshInstanceCountsAConnection() throws Exception {
        open();
        AuthenticatedMember a = member("A");
        AuthenticatedMember b = member("B");
        String hexA = HexFormat.of().formatHex(a.fingerprint());
        String hexB = HexFormat.of().formatHex(b.fingerprint());
        store.heartbeat("one", now);
        store.heartbeat("two", now);
        store.presence("one", a.fingerprint(), 2);
        store.presence("two", b.fingerprint(), 1);
        assertThat(store.online(now)).containsExactlyInAnyOrder(hexA, hexB);
        store.presence("one", a.fingerprint(), 0);
        assertThat(store.online(now)).containsExactly(hexB);
        // Instance two stops beating: after 15 s its rows count for nothing.
        store.heartbeat("one", now.plusSeconds(16));
        assertThat(store.online(now.plusSeconds(15))).containsExactly(hexB);
        assertThat(store.online(now.plusSeconds(16))).isEmpty();
    }

    @Test
    void forgettingAnInstanceRemovesItsPresence() throws Exception {
        open();
        AuthenticatedMember a = member("A");
        store.heartbeat("one", now);
        store.presence("one", a.fingerprint(), 1);
        store.forget("one");
        assertThat(store.online(now)).isEmpty();
        store.heartbeat("one", now);
        assertThat(store.online(now)).isEmpty();
    }

    @Test
    void twoInstancesSeeOneDirectoryAndEachOthersPresence() throws Exception {
        open();
        DirectoryStore other = openStore();
        try {
            AuthenticatedMember a = member("A");
            store.publish(a, new byte[] {7}, now);
            assertThat(other.entry(a.fingerprint())).isPresent();
            other.heartbeat("two", now);
            other.presence("two", a.fingerprint(), 1);
            assertThat(store.online(now.plus(Duration.ofSeconds(5))))
                    .containsExactly(HexFormat.of().formatHex(a.fingerprint()));
        } finally {
            other.close();
        }
    }
}
