package org.securep2p.app.trust;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.constraints.Size;
import org.securep2p.app.TestSessions;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trust store file is the store: any sequence of changes reads back as exactly the same store. A damaged
 * file is either refused with a typed error or read as a consistent store that round-trips (JSON is not
 * authenticated: a changed letter in a name is a different, valid store), and is never changed by being read;
 * a damaged fingerprint is never read as the original identity.
 */
class TrustStoreProperties {

    private static Path scratch;

    @BeforeContainer
    static void makeScratch() throws Exception {
        scratch = Files.createTempDirectory("TrustStoreProperties");
    }

    @AfterContainer
    static void removeScratch() throws Exception {
        TestSessions.deleteTree(scratch);
    }

    /** One change by the user or the network: a kind and the peer number and name it is about. */
    record Change(int kind, int peer, String name, String address) {
    }

    @Property(tries = 100)
    @SuppressWarnings("EnumOrdinal") // kinds 0-2 pick a TrustOrigin by position: each origin is drawn alike
    void anySequenceOfChangesReadsBackAsTheSameStore(@ForAll @Size(max = 30) List<@From("changes") Change> changes)
            throws Exception {
        Path dir = Files.createTempDirectory(scratch, "trust-properties");
        Path file = dir.resolve(TrustStore.FILE_NAME);
        MutableClock clock = new MutableClock(TrustStoreTest.T0);
        TrustStore store = TrustStore.open(file, clock);
        for (Change c : changes) {
            clock.advance(Duration.ofSeconds(c.peer() + 1));
            try {
                switch (c.kind()) {
                    case 0, 1, 2 -> store.recordSeen(TrustStoreTest.fp(c.peer()), c.name(), c.address(),
                            TrustOrigin.values()[c.kind()]);
                    case 3 -> store.setVerified(TrustStoreTest.fp(c.peer()), c.name().length() % 2 == 0);
                    case 4 -> store.untrust(TrustStoreTest.fp(c.peer()));
                    case 5 -> store.reject(TrustStoreTest.fp(c.peer()));
                    case 6 -> store.withdrawRejection(TrustStoreTest.fp(c.peer()));
                    default -> store.replaceIdentity(TrustStoreTest.fp(c.peer()), TrustStoreTest.fp(c.peer() + 1),
                            c.name(), c.address(), TrustOrigin.CODE);
                }
            } catch (StoreException e) {
                assertThat(e.reason()).isIn(StoreException.Reason.UNKNOWN_PEER,
                        StoreException.Reason.REJECTED_IDENTITY);
            } catch (IllegalArgumentException e) {
                assertThat(c.kind()).isEqualTo(7);
            }
        }
        TrustStore reopened = TrustStore.open(file, clock);
        assertThat(reopened.all()).isEqualTo(store.all());
        for (int p = 0; p < 9; p++) {
            assertThat(reopened.isRejected(TrustStoreTest.fp(p))).isEqualTo(store.isRejected(TrustStoreTest.fp(p)));
        }
    }

    @Property(tries = 200)
    void anySingleByteCorruptionIsRefusedOrReadAsAConsistentStore(
            @ForAll @IntRange(min = 0, max = 1_000_000) int position, @ForAll @IntRange(min = 1, max = 255) int xor)
            throws Exception {
        Path dir = Files.createTempDirectory(scratch, "trust-corruption");
        Path file = dir.resolve(TrustStore.FILE_NAME);
        MutableClock clock = new MutableClock(TrustStoreTest.T0);
        TrustStore store = TrustStore.open(file, clock);
        store.recordSeen(TrustStoreTest.fp(1), "alice", "203.0.113.5:4000", TrustOrigin.CODE);
        store.recordSeen(TrustStoreTest.fp(2), "bob", "", TrustOrigin.TRUST_ON_FIRST_USE);
        store.setVerified(TrustStoreTest.fp(2), true);
        store.reject(TrustStoreTest.fp(3));
        byte[] bytes = Files.readAllBytes(file);
        bytes[position % bytes.length] ^= (byte) xor;
        Files.write(file, bytes);

        try {
            TrustStore read = TrustStore.open(file, clock);
            // Accepted: what was read must be a store of its own, readable again and stable from then on.
            Path copy = dir.resolve("copy.json");
            Files.write(copy, TrustStore.encode(toMap(read.all()), Map.of()));
            assertThat(TrustStore.open(copy, clock).all()).isEqualTo(read.all());
        } catch (StoreException e) {
            assertThat(e.reason()).isIn(StoreException.Reason.CORRUPT, StoreException.Reason.UNKNOWN_VERSION);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
    }

    @Property(tries = 200)
    void corruptionOfAFingerprintDigitIsNeverReadAsTheOriginalIdentity(@ForAll @IntRange(min = 0, max = 63) int digit,
            @ForAll @IntRange(min = 1, max = 255) int xor) throws Exception {
        Path dir = Files.createTempDirectory(scratch, "trust-fingerprint");
        Path file = dir.resolve(TrustStore.FILE_NAME);
        MutableClock clock = new MutableClock(TrustStoreTest.T0);
        TrustStore.open(file, clock).recordSeen(TrustStoreTest.fp(1), "alice", "", TrustOrigin.CODE);
        String text = Files.readString(file);
        int start = text.indexOf(TrustStoreTest.fp(1).displayString());
        int offset = start + digit + digit / 4;  // skip the spaces between groups of four
        byte[] bytes = Files.readAllBytes(file);
        bytes[offset] ^= (byte) xor;
        Files.write(file, bytes);

        try {
            assertThat(TrustStore.open(file, clock).find(TrustStoreTest.fp(1))).isEmpty();
        } catch (StoreException e) {
            assertThat(e.reason()).isEqualTo(StoreException.Reason.CORRUPT);
        }
    }

    private static Map<Fingerprint, TrustedPeer> toMap(List<TrustedPeer> peers) {
        Map<Fingerprint, TrustedPeer> map = new LinkedHashMap<>();
        peers.forEach(p -> map.put(p.fingerprint(), p));
        return map;
    }

    @Provide
    Arbitrary<Change> changes() {
        return Combinators.combine(Arbitraries.integers().between(0, 7), Arbitraries.integers().between(0, 8),
                Arbitraries.of("alice", "bob", "carol", "Zoë", "dave_2"),
                Arbitraries.of("", "203.0.113.5:4000", "[2001:db8::1]:4000", "relay.example.org:3478"))
                .as(Change::new);
    }
}
