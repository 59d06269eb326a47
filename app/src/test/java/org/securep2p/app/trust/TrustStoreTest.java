package org.securep2p.app.trust;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrustStoreTest {

    static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");

    @TempDir
    Path home;

    private final MutableClock clock = new MutableClock(T0);
    private Path file;
    private TrustStore store;

    @BeforeEach
    void open() throws Exception {
        file = home.resolve(TrustStore.FILE_NAME);
        store = TrustStore.open(file, clock);
    }

    @Test
    void startsEmptyAndWritesNothingUntilTheFirstChange() throws Exception {
        assertThat(store.all()).isEmpty();
        assertThat(file).doesNotExist();
    }

    @Test
    void recordsAFirstContactUnverifiedAndPersistsItBeforeReturning() throws Exception {
        TrustedPeer alice = store.recordSeen(fp(1), "alice", "203.0.113.5:4000", TrustOrigin.CODE);

        assertThat(alice.names()).containsExactly("alice");
        assertThat(alice.firstSeen()).isEqualTo(T0);
        assertThat(alice.lastSeen()).isEqualTo(T0);
        assertThat(alice.verified()).isFalse();
        assertThat(alice.origin()).isEqualTo(TrustOrigin.CODE);
        assertThat(alice.replaces()).isEmpty();
        assertThat(reopen().all()).containsExactly(alice);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void seenAgainAddsTheNameMovesLastSeenAndKeepsTheFirstOrigin() throws Exception {
        store.recordSeen(fp(1), "alice", "203.0.113.5:4000", TrustOrigin.TRUST_ON_FIRST_USE);
        clock.advance(Duration.ofHours(1));
        TrustedPeer again = store.recordSeen(fp(1), "alice2", "198.51.100.7:4000", TrustOrigin.CODE);
        clock.advance(Duration.ofHours(1));
        TrustedPeer third = store.recordSeen(fp(1), "alice", "", TrustOrigin.CA);

        assertThat(again.names()).containsExactly("alice", "alice2");
        assertThat(third.names()).containsExactly("alice", "alice2");
        assertThat(third.firstSeen()).isEqualTo(T0);
        assertThat(third.lastSeen()).isEqualTo(T0.plus(Duration.ofHours(2)));
        assertThat(third.origin()).isEqualTo(TrustOrigin.TRUST_ON_FIRST_USE);
        assertThat(third.lastAddress()).as("an empty address keeps the last known one").isEqualTo("198.51.100.7:4000");
        assertThat(reopen().find(fp(1))).contains(third);
    }

    @Test
    void forgetsTheOldestNamePastTheLimit() throws Exception {
        for (int i = 0; i <= TrustedPeer.MAX_NAMES; i++) {
            store.recordSeen(fp(1), "name" + i, "", TrustOrigin.CODE);
        }
        List<String> names = store.find(fp(1)).orElseThrow().names();
        assertThat(names).hasSize(TrustedPeer.MAX_NAMES).doesNotContain("name0")
                .endsWith("name" + TrustedPeer.MAX_NAMES);
    }

    @Test
    void findByNameReturnsTheMostRecentlySeenIdentityThatUsedIt() throws Exception {
        store.recordSeen(fp(1), "alice", "a:1", TrustOrigin.CODE);
        clock.advance(Duration.ofMinutes(1));
        store.recordSeen(fp(2), "alice", "b:1", TrustOrigin.TRUST_ON_FIRST_USE);
        clock.advance(Duration.ofMinutes(1));
        store.recordSeen(fp(3), "bob", "c:1", TrustOrigin.CODE);

        assertThat(store.findByName("alice").orElseThrow().fingerprint()).isEqualTo(fp(2));
        clock.advance(Duration.ofMinutes(1));
        store.recordSeen(fp(1), "alice", "", TrustOrigin.CODE);
        assertThat(store.findByName("alice").orElseThrow().fingerprint()).isEqualTo(fp(1));
        assertThat(store.findByName("carol")).isEmpty();
    }

    @Test
    void aKnownIdentityNeverTakesAnotherContactsNameByUsingIt() throws Exception {
        store.recordSeen(fp(1), "alice", "a:1", TrustOrigin.CODE);
        clock.advance(Duration.ofMinutes(1));
        store.recordSeen(fp(2), "mallory", "m:1", TrustOrigin.TRUST_ON_FIRST_USE);
        clock.advance(Duration.ofMinutes(1));
        // Mallory, already known, now says she is alice: seen (address, time), but the name stays alice's.
        TrustedPeer mallory = store.recordSeen(fp(2), "alice", "m:2", TrustOrigin.TRUST_ON_FIRST_USE);

        assertThat(mallory.names()).containsExactly("mallory");
        assertThat(mallory.lastAddress()).isEqualTo("m:2");
        assertThat(store.findByName("alice").orElseThrow().fingerprint()).isEqualTo(fp(1));
        assertThat(TrustStore.open(file, clock).findByName("alice").orElseThrow().fingerprint()).isEqualTo(fp(1));
        // A name nobody else holds is still added.
        assertThat(store.recordSeen(fp(2), "mal", "", TrustOrigin.TRUST_ON_FIRST_USE).names())
                .containsExactly("mallory", "mal");
    }

    @Test
    void findByAddressReturnsTheMostRecentlySeenIdentityLastAtIt() throws Exception {
        store.recordSeen(fp(1), "alice", "a:1", TrustOrigin.CODE);
        clock.advance(Duration.ofMinutes(1));
        store.recordSeen(fp(2), "bob", "a:1", TrustOrigin.CODE);
        store.recordSeen(fp(3), "carol", "", TrustOrigin.CODE);

        assertThat(store.findByAddress("a:1").orElseThrow().fingerprint()).isEqualTo(fp(2));
        assertThat(store.findByAddress("")).isEmpty();
        assertThat(store.findByAddress("z:9")).isEmpty();
    }

    @Test
    void verifiedFlagPersistsAndAnUnknownPeerCannotBeVerified() throws Exception {
        store.recordSeen(fp(1), "alice", "", TrustOrigin.CODE);
        assertThat(store.setVerified(fp(1), true).verified()).isTrue();
        assertThat(reopen().find(fp(1)).orElseThrow().verified()).isTrue();

        assertReason(() -> store.setVerified(fp(2), true), StoreException.Reason.UNKNOWN_PEER);
    }

    @Test
    void untrustRemovesTheIdentityDurably() throws Exception {
        store.recordSeen(fp(1), "alice", "", TrustOrigin.CODE);
        store.recordSeen(fp(2), "bob", "", TrustOrigin.CODE);

        assertThat(store.untrust(fp(1))).isTrue();
        assertThat(store.untrust(fp(1))).isFalse();
        assertThat(reopen().all()).extracting(TrustedPeer::fingerprint).containsExactly(fp(2));
        assertThat(store.isRejected(fp(1))).isFalse();
    }

    @Test
    void acceptingAChangedIdentityReplacesTheOldEntryWithAnUnverifiedNewOne() throws Exception {
        store.recordSeen(fp(1), "alice", "a:1", TrustOrigin.CODE);
        store.setVerified(fp(1), true);
        clock.advance(Duration.ofDays(3));

        TrustedPeer replaced = store.replaceIdentity(fp(1), fp(2), "alice", "a:2", TrustOrigin.TRUST_ON_FIRST_USE);

        assertThat(replaced.fingerprint()).isEqualTo(fp(2));
        assertThat(replaced.verified()).isFalse();
        assertThat(replaced.replaces()).contains(fp(1));
        assertThat(replaced.firstSeen()).isEqualTo(T0.plus(Duration.ofDays(3)));
        TrustStore reopened = reopen();
        assertThat(reopened.find(fp(1))).isEmpty();
        assertThat(reopened.findByName("alice")).contains(replaced);
    }

    @Test
    void replacingAnUnknownIdentityIsUnknownPeerAndChangesNothing() throws Exception {
        assertReason(() -> store.replaceIdentity(fp(1), fp(2), "alice", "", TrustOrigin.CODE),
                StoreException.Reason.UNKNOWN_PEER);
        assertThat(store.all()).isEmpty();
        assertThat(file).doesNotExist();
    }

    @Test
    void rejectedIdentityIsRememberedAndRefusedNextTime() throws Exception {
        store.recordSeen(fp(1), "alice", "", TrustOrigin.CODE);
        store.reject(fp(2));

        TrustStore reopened = reopen();
        assertThat(reopened.isRejected(fp(2))).isTrue();
        assertThat(reopened.rejectedAt(fp(2))).contains(T0);
        assertThat(reopened.isRejected(fp(1))).isFalse();
        assertReason(() -> reopened.recordSeen(fp(2), "alice", "", TrustOrigin.TRUST_ON_FIRST_USE),
                StoreException.Reason.REJECTED_IDENTITY);
        assertThat(reopened.find(fp(2))).isEmpty();
    }

    @Test
    void rejectingATrustedIdentityRemovesItsTrust() throws Exception {
        store.recordSeen(fp(1), "alice", "", TrustOrigin.CODE);
        store.reject(fp(1));

        assertThat(reopen().find(fp(1))).isEmpty();
        assertThat(reopen().isRejected(fp(1))).isTrue();
    }

    @Test
    void withdrawnRejectionLetsTheIdentityBeRecordedAgain() throws Exception {
        store.reject(fp(2));
        assertThat(store.withdrawRejection(fp(2))).isTrue();
        assertThat(store.withdrawRejection(fp(2))).isFalse();

        assertThat(reopen().isRejected(fp(2))).isFalse();
        assertThat(store.recordSeen(fp(2), "mallory", "", TrustOrigin.CODE).names()).containsExactly("mallory");
    }

    @Test
    void acceptingARejectedIdentityAsAReplacementWithdrawsTheRejection() throws Exception {
        store.recordSeen(fp(1), "alice", "", TrustOrigin.CODE);
        store.reject(fp(2));

        store.replaceIdentity(fp(1), fp(2), "alice", "", TrustOrigin.TRUST_ON_FIRST_USE);

        assertThat(reopen().isRejected(fp(2))).isFalse();
        assertThat(reopen().find(fp(2))).isPresent();
    }

    @Test
    void writesTheDocumentedSchema() throws Exception {
        store.recordSeen(fp(1), "alice", "a:1", TrustOrigin.CODE);
        store.replaceIdentity(fp(1), fp(2), "alice", "", TrustOrigin.TRUST_ON_FIRST_USE);
        store.reject(fp(3));

        String json = Files.readString(file).replaceAll("\\s+", " ");
        assertThat(json).isEqualTo("{ \"version\" : 1, \"peers\" : [ { \"fingerprint\" : \"" + fp(2).displayString()
                + "\", \"names\" : [ \"alice\" ], \"firstSeen\" : \"2026-11-23T12:00:00Z\", \"lastSeen\" :"
                + " \"2026-11-23T12:00:00Z\", \"lastAddress\" : \"\", \"verified\" : false, \"origin\" :"
                + " \"TRUST_ON_FIRST_USE\", \"replaces\" : \"" + fp(1).displayString() + "\" } ], \"rejected\" : [ {"
                + " \"fingerprint\" : \"" + fp(3).displayString()
                + "\", \"rejectedAt\" : \"2026-11-23T12:00:00Z\" } ] }");
    }

    @Test
    void refusesUnknownVersionAndLeavesTheFileUntouched() throws Exception {
        String future = "{\"version\":2,\"peers\":[],\"rejected\":[],\"groups\":[]}";
        Files.writeString(file, future);

        assertReason(() -> TrustStore.open(file, clock), StoreException.Reason.UNKNOWN_VERSION);
        assertThat(Files.readString(file)).isEqualTo(future);
    }

    static Stream<String> corruptFiles() {
        String fp1 = fp(1).displayString();
        String peer = "{\"fingerprint\":\"" + fp1 + "\",\"names\":[\"alice\"],\"firstSeen\":\"2026-11-23T12:00:00Z\","
                + "\"lastSeen\":\"2026-11-23T12:00:00Z\",\"lastAddress\":\"\",\"verified\":false,\"origin\":\"CODE\"}";
        return Stream.of(
                "",
                "not json",
                "[]",
                "{\"peers\":[],\"rejected\":[]}",
                "{\"version\":\"1\",\"peers\":[],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[]}",
                "{\"version\":1,\"peers\":[],\"rejected\":[],\"extra\":0}",
                "{\"version\":1,\"version\":1,\"peers\":[],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[],\"rejected\":[]} trailing",
                "{\"version\":1,\"peers\":{},\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer + "," + peer + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer + "],\"rejected\":[{\"fingerprint\":\"" + fp1
                        + "\",\"rejectedAt\":\"2026-11-23T12:00:00Z\"}]}",
                "{\"version\":1,\"peers\":[" + peer.replace(fp1, fp1.toLowerCase(java.util.Locale.ROOT))
                        + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer.replace(fp1, fp1.substring(5)) + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer.replace("[\"alice\"]", "[]") + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer.replace("[\"alice\"]", "[\"alice\",\"alice\"]")
                        + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer.replace("[\"alice\"]", "[\"al\\u202eice\"]") + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer.replace("[\"alice\"]", "[7]") + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer.replace("\"CODE\"", "\"PSYCHIC\"") + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer.replace("false", "\"false\"") + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer.replace("\"lastSeen\":\"2026-11-23T12:00:00Z\"",
                        "\"lastSeen\":\"2026-11-22T12:00:00Z\"") + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer.replace("\"firstSeen\":\"2026-11-23T12:00:00Z\"",
                        "\"firstSeen\":\"yesterday\"") + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer.replace(",\"origin\":\"CODE\"", "") + "],\"rejected\":[]}",
                "{\"version\":1,\"peers\":[" + peer.replace("}", ",\"replaces\":\"" + fp1 + "\"}")
                        + "],\"rejected\":[]}");
    }

    @ParameterizedTest
    @MethodSource("corruptFiles")
    void refusesACorruptFileAndNeverOverwritesIt(String content) throws Exception {
        Files.writeString(file, content);

        assertReason(() -> TrustStore.open(file, clock), StoreException.Reason.CORRUPT);
        assertThat(Files.readString(file)).isEqualTo(content);
    }

    @Test
    void aCorruptFileMovedAsideLetsTheStoreStartEmpty() throws Exception {
        Files.writeString(file, "{broken");
        clock.set(Instant.parse("2026-11-23T14:05:09Z"));

        Path aside = TrustStore.moveAside(file, clock);
        Files.writeString(file, "{broken again");
        Path second = TrustStore.moveAside(file, clock);

        assertThat(aside.getFileName()).hasToString("trusted_peers.json.corrupt-20261123T140509Z");
        assertThat(second.getFileName()).hasToString("trusted_peers.json.corrupt-20261123T140509Z-1");
        assertThat(Files.readString(aside)).isEqualTo("{broken");
        assertThat(TrustStore.open(file, clock).all()).isEmpty();
    }

    @Test
    void aFailedWriteChangesNothingInMemory() throws Exception {
        store.recordSeen(fp(1), "alice", "", TrustOrigin.CODE);
        TrustedPeer before = store.find(fp(1)).orElseThrow();
        // The directory vanishes: the temp file cannot be created, so the write fails.
        Files.delete(file);
        Files.delete(home);

        clock.advance(Duration.ofHours(1));
        assertReason(() -> store.recordSeen(fp(1), "alice2", "x:1", TrustOrigin.CODE),
                StoreException.Reason.STORAGE_FAILED);
        assertReason(() -> store.reject(fp(1)), StoreException.Reason.STORAGE_FAILED);

        assertThat(store.find(fp(1))).contains(before);
        assertThat(store.isRejected(fp(1))).isFalse();
    }

    @Test
    void refusesANewIdentityPastTheLimitAndChangesNothing() throws Exception {
        Map<Fingerprint, TrustedPeer> many = new LinkedHashMap<>();
        for (int i = 0; i < TrustStore.MAX_PEERS; i++) {
            Fingerprint f = fp(1000 + i);
            many.put(f, TrustedPeer.first(f, "peer" + i, "", T0, TrustOrigin.CODE, null));
        }
        Files.write(file, TrustStore.encode(many, Map.of()));
        TrustStore full = TrustStore.open(file, clock);
        byte[] before = Files.readAllBytes(file);

        assertReason(() -> full.recordSeen(fp(1), "one-too-many", "", TrustOrigin.CODE),
                StoreException.Reason.LIMIT_REACHED);
        assertThat(full.find(fp(1))).isEmpty();
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertThat(full.recordSeen(fp(1000), "known", "", TrustOrigin.CODE).names()).containsExactly("peer0", "known");
    }

    @Test
    void refusesNamesWithControlOrBidiCharacters() {
        for (String name : List.of("", "a\nb", "\u202eecila", "a\u0000", "x".repeat(TrustedPeer.MAX_NAME_LENGTH + 1),
                "\ud800")) {
            assertThatThrownBy(() -> store.recordSeen(fp(1), name, "", TrustOrigin.CODE))
                    .as("name %s", name.codePoints().boxed().toList()).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(store.all()).isEmpty();
    }

    @Test
    void concurrentChangesAreAllKept() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        store.recordSeen(fp(100 * thread + i), "p" + thread + "-" + i, "", TrustOrigin.CODE);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(reopen().all()).hasSize(80);
    }

    @Test
    void removesTempFilesACrashLeftBehindAndNeverReadsThem() throws Exception {
        store.recordSeen(fp(1), "alice", "", TrustOrigin.CODE);
        Path leftover = home.resolve(".trusted_peers.json.5551212.tmp");
        Files.writeString(leftover, "{\"version\":1,\"peers\":[],\"rejected\":[]}");

        assertThat(reopen().find(fp(1))).isPresent();
        assertThat(leftover).doesNotExist();
    }

    private TrustStore reopen() throws StoreException {
        return TrustStore.open(file, clock);
    }

    static Fingerprint fp(int n) {
        byte[] b = new byte[Fingerprint.LENGTH];
        b[0] = (byte) (n >> 24);
        b[1] = (byte) (n >> 16);
        b[2] = (byte) (n >> 8);
        b[3] = (byte) n;
        b[31] = 0x5A;
        try {
            return Fingerprint.fromBytes(b);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void assertReason(ThrowingCall call, StoreException.Reason reason) {
        assertThatThrownBy(call::run).isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(((StoreException) e).reason()).isEqualTo(reason));
    }

    interface ThrowingCall {
        void run() throws Exception;
    }
}
