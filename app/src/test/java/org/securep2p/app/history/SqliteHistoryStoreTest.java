package org.securep2p.app.history;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.history.HistoryMessage.Delivery;
import org.securep2p.app.history.HistoryMessage.Direction;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.securep2p.app.history.HistoryTesting.T0;

class SqliteHistoryStoreTest {

    @TempDir
    Path dir;

    HistoryTesting t;
    SecretBytes key;
    Path file;
    SqliteHistoryStore store;
    MutableClock clock = new MutableClock(T0);

    @BeforeEach
    void setUp(TestInfo info) {
        t = new HistoryTesting(info.getDisplayName());
        key = t.key();
        file = dir.resolve("history.db");
        store = HistoryTesting.open(file, key, Retention.forever(), clock);
    }

    @AfterEach
    void tearDown() {
        store.close();
        key.close();
    }

    @Test
    void aMessageReadsBackAsItWasStoredAfterAReopen() throws Exception {
        Fingerprint bob = t.fingerprint();
        String sentId = t.id();
        String receivedId = t.id();
        assertThat(store.append(bob, HistoryMessage.sent(sentId, T0, "hello bob"))).isTrue();
        assertThat(store.append(bob, HistoryMessage.received(receivedId, T0.plusSeconds(1), "hi alice ✓"))).isTrue();
        store.close();

        store = HistoryTesting.open(file, key, Retention.forever());
        List<HistoryMessage> page = store.page(bob, Optional.empty(), 10);
        assertThat(page).hasSize(2);
        HistoryMessage sent = page.get(0);
        assertThat(sent.id()).isEqualTo(sentId);
        assertThat(sent.text()).isEqualTo("hello bob");
        assertThat(sent.time()).isEqualTo(T0);
        assertThat(sent.direction()).isEqualTo(Direction.SENT);
        assertThat(sent.delivery()).isEqualTo(Delivery.SENDING);
        assertThat(sent.read()).isTrue();
        HistoryMessage received = page.get(1);
        assertThat(received.id()).isEqualTo(receivedId);
        assertThat(received.text()).isEqualTo("hi alice ✓");
        assertThat(received.direction()).isEqualTo(Direction.RECEIVED);
        assertThat(received.delivery()).isEqualTo(Delivery.RECEIVED);
        assertThat(received.read()).isFalse();
        assertThat(received.position()).isGreaterThan(sent.position());
    }

    @Test
    void timesAreKeptToTheMillisecond() throws Exception {
        Fingerprint bob = t.fingerprint();
        store.append(bob, HistoryMessage.sent(t.id(), T0.plusNanos(1_234_567), "x"));
        assertThat(store.page(bob, Optional.empty(), 1).get(0).time()).isEqualTo(T0.plusMillis(1));
    }

    @Test
    void aSecondAppendOfTheSameIdReturnsFalseAndStoresNothing() throws Exception {
        Fingerprint bob = t.fingerprint();
        String id = t.id();
        assertThat(store.append(bob, HistoryMessage.received(id, T0, "first"))).isTrue();
        assertThat(store.append(bob, HistoryMessage.received(id, T0.plusSeconds(5), "second"))).isFalse();
        assertThat(store.page(bob, Optional.empty(), 10)).singleElement()
                .satisfies(m -> assertThat(m.text()).isEqualTo("first"));
        // The same id in another conversation is another message.
        assertThat(store.append(t.fingerprint(), HistoryMessage.received(id, T0, "elsewhere"))).isTrue();
    }

    @Test
    void pagesWalkBackFromTheNewestMessageOldestFirst() throws Exception {
        Fingerprint bob = t.fingerprint();
        for (int i = 0; i < 25; i++) {
            store.append(bob, HistoryMessage.sent(t.id(), T0.plusSeconds(i), "m" + i));
        }
        store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "another conversation"));
        List<String> seen = new ArrayList<>();
        Optional<Long> before = Optional.empty();
        List<Integer> sizes = new ArrayList<>();
        while (true) {
            List<HistoryMessage> page = store.page(bob, before, 10);
            if (page.isEmpty()) {
                break;
            }
            sizes.add(page.size());
            List<String> texts = page.stream().map(HistoryMessage::text).toList();
            seen.addAll(0, texts);
            before = Optional.of(page.get(0).position());
        }
        assertThat(sizes).containsExactly(10, 10, 5);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            expected.add("m" + i);
        }
        assertThat(seen).isEqualTo(expected);
        assertThat(store.page(t.fingerprint(), Optional.empty(), 10)).isEmpty();
    }

    @Test
    void aPageLimitOutsideOneToAThousandIsRefused() {
        Fingerprint bob = t.fingerprint();
        for (int limit : new int[] {0, -1, 1001}) {
            assertThatThrownBy(() -> store.page(bob, Optional.empty(), limit)).isInstanceOf(HistoryException.class)
                    .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.INVALID_ARGUMENT);
        }
    }

    @Test
    void unreadCountsRiseWithReceivedMessagesAndMarkReadClearsThem() throws Exception {
        Fingerprint bob = t.fingerprint();
        Fingerprint carol = t.fingerprint();
        store.append(bob, HistoryMessage.received(t.id(), T0, "1"));
        clock.set(T0.plusSeconds(1));
        store.append(bob, HistoryMessage.received(t.id(), T0.plusSeconds(1), "2"));
        clock.set(T0.plusSeconds(2));
        store.append(bob, HistoryMessage.sent(t.id(), T0.plusSeconds(2), "mine"));
        clock.set(T0.plusSeconds(3));
        store.append(carol, HistoryMessage.received(t.id(), T0.plusSeconds(3), "3"));

        List<HistoryStore.ConversationSummary> list = store.conversations();
        assertThat(list).extracting(HistoryStore.ConversationSummary::peer).containsExactly(carol, bob);
        assertThat(list.get(0).unread()).isEqualTo(1);
        assertThat(list.get(1).unread()).isEqualTo(2);
        assertThat(list.get(1).messages()).isEqualTo(3);
        assertThat(list.get(1).lastTime()).contains(T0.plusSeconds(2));

        store.markRead(bob);
        list = store.conversations();
        assertThat(list.get(1).unread()).isZero();
        assertThat(list.get(0).unread()).isEqualTo(1);
        assertThat(store.page(bob, Optional.empty(), 10)).allSatisfy(m -> assertThat(m.read()).isTrue());
    }

    @Test
    void deliveryUpdatesReachOnlySentMessages() throws Exception {
        Fingerprint bob = t.fingerprint();
        String sent = t.id();
        String failed = t.id();
        String received = t.id();
        store.append(bob, HistoryMessage.sent(sent, T0, "a"));
        store.append(bob, HistoryMessage.sent(failed, T0, "b"));
        store.append(bob, HistoryMessage.received(received, T0, "c"));

        assertThat(store.updateDelivery(bob, sent, Delivery.DELIVERED, Optional.empty())).isTrue();
        assertThat(store.updateDelivery(bob, failed, Delivery.FAILED, Optional.of("the peer refused it"))).isTrue();
        assertThat(store.updateDelivery(bob, received, Delivery.DELIVERED, Optional.empty())).isFalse();
        assertThat(store.updateDelivery(bob, t.id(), Delivery.DELIVERED, Optional.empty())).isFalse();
        assertThat(store.updateDelivery(t.fingerprint(), sent, Delivery.DELIVERED, Optional.empty())).isFalse();

        List<HistoryMessage> page = store.page(bob, Optional.empty(), 10);
        assertThat(page.get(0).delivery()).isEqualTo(Delivery.DELIVERED);
        assertThat(page.get(0).failureReason()).isEmpty();
        assertThat(page.get(1).delivery()).isEqualTo(Delivery.FAILED);
        assertThat(page.get(1).failureReason()).contains("the peer refused it");
        assertThat(page.get(2).delivery()).isEqualTo(Delivery.RECEIVED);
    }

    @Test
    void aFailureReasonWithoutFailedIsRefused() throws Exception {
        Fingerprint bob = t.fingerprint();
        String id = t.id();
        store.append(bob, HistoryMessage.sent(id, T0, "a"));
        assertThatThrownBy(() -> store.updateDelivery(bob, id, Delivery.DELIVERED, Optional.of("why")))
                .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.INVALID_ARGUMENT);
        assertThatThrownBy(() -> store.updateDelivery(bob, id, Delivery.RECEIVED, Optional.empty()))
                .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.INVALID_ARGUMENT);
    }

    @Test
    void badIdsAndOverlongTextsAreRefusedAndNothingIsStored() throws Exception {
        Fingerprint bob = t.fingerprint();
        for (String id : new String[] {"", "ABCD", "12 34", "x".repeat(3), "a".repeat(65)}) {
            assertThatThrownBy(() -> store.append(bob, HistoryMessage.sent(id, T0, "a")))
                    .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.INVALID_ARGUMENT);
        }
        assertThatThrownBy(() -> store.append(bob, HistoryMessage.sent(t.id(), T0, "a".repeat(64 * 1024 + 1))))
                .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.INVALID_ARGUMENT);
        assertThat(store.append(bob, HistoryMessage.sent(t.id(), T0, "a".repeat(64 * 1024)))).isTrue();
        assertThat(store.page(bob, Optional.empty(), 10)).hasSize(1);
    }

    @Test
    void namesAreUniqueIgnoringCaseAndSurroundingBlanks() throws Exception {
        Fingerprint bob = t.fingerprint();
        Fingerprint other = t.fingerprint();
        store.setContactName(bob, "  Bob ");
        assertThat(store.contactName(bob)).contains("Bob");
        assertThat(store.contactNamed("bob")).contains(bob);
        assertThat(store.contactNamed(" BOB")).contains(bob);
        assertThatThrownBy(() -> store.setContactName(other, "BOB"))
                .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.NAME_TAKEN);
        assertThat(store.contactName(other)).isEmpty();
        // Its own name in another case is a rename, not a clash.
        store.setContactName(bob, "BOB");
        assertThat(store.contactName(bob)).contains("BOB");
        // The old name is free once bob is renamed.
        store.setContactName(bob, "Robert");
        store.setContactName(other, "bob");
        assertThat(store.contactNamed("Bob")).contains(other);
        assertThat(store.contactNamed("robert")).contains(bob);
        assertThat(store.contactNamed("nobody")).isEmpty();
        assertThat(store.contactNamed("")).isEmpty();
        // A composed and a decomposed é are one name.
        store.setContactName(t.fingerprint(), "Ren\u00e9");
        assertThatThrownBy(() -> store.setContactName(t.fingerprint(), "Rene\u0301"))
                .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.NAME_TAKEN);
    }

    @Test
    void namesThatDifferOnlyInCompatibilityFormOrFullCaseFoldingAreOne() throws Exception {
        Fingerprint fiona = t.fingerprint();
        store.setContactName(fiona, "\ufb01ona"); // the "fi" ligature
        assertThat(store.contactNamed("FIONA")).contains(fiona);
        assertThatThrownBy(() -> store.setContactName(t.fingerprint(), "fiona"))
                .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.NAME_TAKEN);
        Fingerprint street = t.fingerprint();
        store.setContactName(street, "Stra\u00dfe");
        assertThat(store.contactNamed("STRASSE")).contains(street);
        // Full-width letters are their ASCII compatibility forms.
        assertThatThrownBy(() -> store.setContactName(t.fingerprint(), "\uff33\uff54\uff52\uff41sse"))
                .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.NAME_TAKEN);
    }

    @Test
    void aNameThatCouldNotBeAPeerNameIsRefused() {
        Fingerprint bob = t.fingerprint();
        for (String name : new String[] {"", "   ", "bob\u202Eevil", "a\nb", "x".repeat(65)}) {
            assertThatThrownBy(() -> store.setContactName(bob, name))
                    .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.INVALID_ARGUMENT);
        }
    }

    @Test
    void aNamedContactWithoutMessagesIsListedAfterTheOnesWithMessages() throws Exception {
        Fingerprint bob = t.fingerprint();
        Fingerprint carol = t.fingerprint();
        store.setContactName(carol, "carol");
        store.append(bob, HistoryMessage.sent(t.id(), T0, "hi"));
        assertThat(store.conversations()).extracting(HistoryStore.ConversationSummary::peer).containsExactly(bob, carol);
        assertThat(store.conversations().get(1).name()).contains("carol");
        assertThat(store.conversations().get(1).lastTime()).isEmpty();
    }

    @Test
    void clearRemovesOneConversationsMessagesAndKeepsItsName() throws Exception {
        Fingerprint bob = t.fingerprint();
        Fingerprint carol = t.fingerprint();
        Fingerprint dave = t.fingerprint();
        store.setContactName(bob, "bob");
        for (int i = 0; i < 3; i++) {
            store.append(bob, HistoryMessage.sent(t.id(), T0, "b" + i));
            store.append(dave, HistoryMessage.sent(t.id(), T0, "d" + i));
        }
        store.append(carol, HistoryMessage.sent(t.id(), T0, "c"));
        assertThat(store.clear(bob)).isEqualTo(3);
        assertThat(store.clear(dave)).isEqualTo(3);
        assertThat(store.clear(t.fingerprint())).isZero();
        assertThat(store.page(bob, Optional.empty(), 10)).isEmpty();
        assertThat(store.page(carol, Optional.empty(), 10)).hasSize(1);
        assertThat(store.contactName(bob)).contains("bob");
        // bob stays listed by name; dave, with neither messages nor a name, is gone.
        assertThat(store.conversations()).extracting(HistoryStore.ConversationSummary::peer)
                .containsExactly(carol, bob);
    }

    @Test
    void expiryDeletesWhatWasStoredLongerAgoThanTheRetentionDays() throws Exception {
        store.close();
        store = HistoryTesting.open(file, key, Retention.days(7), clock);
        Fingerprint bob = t.fingerprint();
        Instant now = T0.plus(Duration.ofDays(30));
        clock.set(now.minus(Duration.ofDays(8)));
        store.append(bob, HistoryMessage.sent(t.id(), T0, "old"));
        clock.set(now.minus(Duration.ofDays(7)).plusMillis(1));
        store.append(bob, HistoryMessage.sent(t.id(), T0, "recent"));
        clock.set(now.minus(Duration.ofDays(10)));
        store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "older"));
        assertThat(store.expire(now)).isEqualTo(2);
        assertThat(store.page(bob, Optional.empty(), 10)).extracting(HistoryMessage::text).containsExactly("recent");
        assertThat(store.conversations()).hasSize(1);
        assertThat(store.expire(now)).isZero();
    }

    @Test
    void aPeersClaimedTimeNeitherExpiresAMessageNorKeepsItNorOrdersTheList() throws Exception {
        store.close();
        store = HistoryTesting.open(file, key, Retention.days(1), clock);
        Fingerprint early = t.fingerprint();
        Fingerprint late = t.fingerprint();
        Fingerprint plain = t.fingerprint();
        store.append(late, HistoryMessage.received(t.id(), Instant.parse("+1000000-01-01T00:00:00Z"), "far future"));
        clock.set(T0.plusSeconds(1));
        store.append(plain, HistoryMessage.received(t.id(), T0, "honest"));
        clock.set(T0.plusSeconds(2));
        store.append(early, HistoryMessage.received(t.id(), Instant.MIN, "before 1970"));
        // Shown with the peer's time, clamped to what can be stored; listed in the order they arrived here.
        assertThat(store.page(late, Optional.empty(), 1).get(0).time()).isEqualTo(HistoryDatabase.LATEST);
        assertThat(store.page(early, Optional.empty(), 1).get(0).time()).isEqualTo(Instant.EPOCH);
        assertThat(store.conversations()).extracting(HistoryStore.ConversationSummary::peer)
                .containsExactly(early, plain, late);
        assertThat(store.conversations().get(0).lastTime()).contains(T0.plusSeconds(2));
        // A day after the first arrived: only it goes, whatever its claimed time.
        assertThat(store.expire(T0.plus(Duration.ofDays(1)).plusMillis(500))).isEqualTo(1);
        assertThat(store.page(late, Optional.empty(), 1)).isEmpty();
        assertThat(store.page(early, Optional.empty(), 1)).hasSize(1);
    }

    @Test
    void expireNowUsesTheStoresClock() throws Exception {
        store.close();
        store = HistoryTesting.open(file, key, Retention.days(1), clock);
        Fingerprint bob = t.fingerprint();
        clock.set(T0.minus(Duration.ofHours(25)));
        store.append(bob, HistoryMessage.sent(t.id(), T0, "old"));
        clock.set(T0.minus(Duration.ofHours(23)));
        store.append(bob, HistoryMessage.sent(t.id(), T0, "new"));
        clock.set(T0);
        assertThat(store.expireNow()).isEqualTo(1);
        assertThat(store.page(bob, Optional.empty(), 10)).extracting(HistoryMessage::text).containsExactly("new");
    }

    @Test
    void foreverExpiresNothing() throws Exception {
        Fingerprint bob = t.fingerprint();
        store.append(bob, HistoryMessage.sent(t.id(), Instant.EPOCH, "very old"));
        assertThat(store.expire(T0.plus(Duration.ofDays(100_000)))).isZero();
        assertThat(store.page(bob, Optional.empty(), 10)).hasSize(1);
    }

    @Test
    void retentionOffStoresNothingButKeepsNames() throws Exception {
        Fingerprint bob = t.fingerprint();
        assertThat(store.keepsMessages()).isTrue();
        store.append(bob, HistoryMessage.sent(t.id(), T0, "kept from before"));
        store.close();
        store = HistoryTesting.open(file, key, Retention.off());
        // The engine must then remember what it showed itself (ChatSession.Conversations.remembersReceived).
        assertThat(store.keepsMessages()).isFalse();
        String id = t.id();
        assertThat(store.append(bob, HistoryMessage.sent(id, T0, "not stored"))).isTrue();
        assertThat(store.append(bob, HistoryMessage.sent(id, T0, "not stored"))).isTrue();
        assertThat(store.updateDelivery(bob, id, Delivery.DELIVERED, Optional.empty())).isFalse();
        // What the earlier setting kept went at the first call (the expiry after open).
        assertThat(store.page(bob, Optional.empty(), 10)).isEmpty();
        assertThat(store.expire(T0)).isZero();
        store.setContactName(bob, "bob");
        assertThat(store.contactNamed("bob")).contains(bob);
    }

    @Test
    void theStoreIsUsableAfterTheCallersKeyIsClosedAndRefusesUseAfterClose() throws Exception {
        key.close();
        key = t.key();
        Fingerprint bob = t.fingerprint();
        store.append(bob, HistoryMessage.sent(t.id(), T0, "a"));
        store.close();
        assertThatThrownBy(() -> store.page(bob, Optional.empty(), 1)).isInstanceOf(HistoryException.class)
                .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.STORAGE_FAILED);
    }

    @Test
    void theFirstCallAfterOpenExpiresWhatTheRetentionNoLongerAllows() throws Exception {
        store.close();
        Fingerprint bob = t.fingerprint();
        clock.set(T0.minus(Duration.ofDays(3)));
        try (SqliteHistoryStore old = HistoryTesting.open(file, key, Retention.days(2), clock)) {
            old.append(bob, HistoryMessage.received(t.id(), T0, "three days ago"));
            clock.set(T0.minus(Duration.ofDays(1)));
            old.append(bob, HistoryMessage.received(t.id(), T0, "yesterday"));
        }
        clock.set(T0);
        store = HistoryTesting.open(file, key, Retention.days(2), clock);
        assertThat(store.page(bob, Optional.empty(), 10)).extracting(HistoryMessage::text)
                .containsExactly("yesterday");
    }

    @Test
    void aConversationSummaryPrintsNeitherFingerprintNorName() throws Exception {
        Fingerprint bob = t.fingerprint();
        store.setContactName(bob, "Robert Secretname");
        store.append(bob, HistoryMessage.received(t.id(), T0, "hi"));
        String printed = store.conversations().get(0).toString();
        assertThat(printed).doesNotContain(bob.toString()).doesNotContain("Secretname")
                .doesNotContain(HexFormat.of().formatHex(bob.toBytes()).substring(0, 16)).contains("unread=1");
    }

    @Test
    void concurrentAppendsFromSeveralThreadsAreAllKeptWithDistinctPositions() throws Exception {
        Fingerprint bob = t.fingerprint();
        Fingerprint carol = t.fingerprint();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            ids.add(t.id());
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                int n = i;
                results.add(pool.submit(() -> store.append(n % 2 == 0 ? bob : carol,
                        HistoryMessage.received(ids.get(n), T0.plusMillis(n), "m" + n))));
            }
            for (java.util.concurrent.Future<Boolean> r : results) {
                assertThat(r.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
        for (Fingerprint peer : List.of(bob, carol)) {
            List<HistoryMessage> page = store.page(peer, Optional.empty(), 1000);
            assertThat(page).hasSize(100);
            assertThat(page).extracting(HistoryMessage::position).doesNotHaveDuplicates();
        }
        assertThat(store.conversations()).allSatisfy(c -> assertThat(c.unread()).isEqualTo(100));
    }

    @Test
    void aSecondStoreOnTheSameFileIsRefusedWhileTheFirstIsOpen() throws Exception {
        store.append(t.fingerprint(), HistoryMessage.sent(t.id(), T0, "a"));
        try (SqliteHistoryStore second = HistoryTesting.open(file, key, Retention.forever())) {
            assertThatThrownBy(second::conversations)
                    .extracting(e -> ((HistoryException) e).reason()).isEqualTo(HistoryException.Reason.STORAGE_FAILED);
        }
    }
}
