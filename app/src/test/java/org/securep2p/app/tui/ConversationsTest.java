package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.securep2p.crypto.testing.Await;
import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;
import org.securep2p.app.history.HistoryMessage;
import org.securep2p.crypto.SecurityLevel;

import com.googlecode.lanterna.input.KeyType;

/** Several conversations in the TUI: the list, switching, unread counts, notices, scrollback, the commands. */
class ConversationsTest {

    static final String BOB = TuiTest.BOB;
    static final String CAROL = "cc00 dd11 cc00 dd11 cc00 dd11 cc00 dd11 cc00 dd11 cc00 dd11 cc00 dd11 cc00 dd11";
    static final Instant EARLIER = Instant.parse("2026-11-23T09:30:00Z");

    static Messenger.ConversationInfo info(String peer, String name, boolean connected, int unread) {
        return new Messenger.ConversationInfo(peer, name, connected, unread, Optional.of(EARLIER),
                connected ? "connected" : "idle");
    }

    static ChatEvent.Connected connected(String peer, String name) {
        return new ChatEvent.Connected(peer, "a1", name, FakeMessenger.SAFETY, SecurityLevel.QUANTUM_RESISTANT,
                "direct", ChatEvent.TrustMode.TRUST_ON_FIRST_USE, false, false);
    }

    /** In the chat with bob, carol connected too; the engine lists bob first. */
    static TuiHarness twoConversations(int columns, int rows) {
        TuiHarness h = new TuiHarness(columns, rows);
        h.messenger.conversations = List.of(info(BOB, "bob", true, 0), info(CAROL, "carol", true, 0));
        h.messenger.emit(connected(BOB, "bob"));
        h.awaitText("Chat with bob — connected");
        h.messenger.emit(connected(CAROL, "carol"));
        h.awaitScreen(s -> s.contains("Alt+2  carol"));
        return h;
    }

    @Test
    void theListShowsEachConversationWithItsAltKeyStateUnreadAndLastTime() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.messenger.conversations = List.of(info(BOB, "bob", true, 0), info(CAROL, "carol", false, 3));
            h.messenger.emit(new ChatEvent.ConversationsChanged());
            String s = h.awaitText("Alt+2  carol");
            assertThat(s).containsPattern("Alt\\+1  bob +online +09:30")
                    .containsPattern("Alt\\+2  carol +offline +3 unread +09:30");
        }
    }

    @Test
    void aConnectionWhileReadingAnotherConversationIsANoticeNotAMove() throws Exception {
        try (TuiHarness h = twoConversations(100, 30)) {
            String s = h.awaitText("Connected to carol (Alt+2).");
            assertThat(s).contains("Chat with bob — connected");
        }
    }

    @Test
    void altDigitsAndCtrlNAndPSwitchAndSendingGoesToTheShownConversation() throws Exception {
        try (TuiHarness h = twoConversations(100, 30)) {
            h.alt('2');
            h.awaitText("Chat with carol — connected");
            h.type("hi carol\n");
            h.await(() -> h.messenger.sent.contains("hi carol"), "send to carol");
            assertThat(h.messenger.sentTo).containsExactly(CAROL);
            h.ctrl('n');
            h.awaitText("Chat with bob — connected");
            h.ctrl('n');
            h.awaitText("Chat with carol — connected");
            h.ctrl('p');
            h.awaitText("Chat with bob — connected");
            h.type("hi bob\n");
            h.await(() -> h.messenger.sent.contains("hi bob"), "send to bob");
            assertThat(h.messenger.sentTo).containsExactly(CAROL, BOB);
            h.alt('7');
            h.awaitText("There is no conversation 7; there are 2.");
        }
    }

    @Test
    void aMessageInAnotherConversationRaisesItsUnreadCountAndOpeningItMarksItRead() throws Exception {
        try (TuiHarness h = twoConversations(100, 30)) {
            h.messenger.emit(new ChatEvent.MessageReceived(CAROL, "carol", "are you there?", "c1", TuiHarness.NOW));
            String s = h.awaitText("New message from carol (Alt+2).");
            assertThat(s).containsPattern("Alt\\+2  carol +online +1 unread").doesNotContain("are you there?")
                    .contains("Chat with bob");
            assertThat(h.messenger.called("markRead " + CAROL)).isFalse();
            h.alt('2');
            s = h.awaitText("carol: are you there?");
            assertThat(s).doesNotContain("1 unread");
            h.await(() -> h.messenger.called("markRead " + CAROL), "markRead carol");
        }
    }

    @Test
    void aMessageInTheShownConversationIsReadAtOnce() throws Exception {
        try (TuiHarness h = twoConversations(100, 30)) {
            h.messenger.emit(new ChatEvent.MessageReceived(BOB, "bob", "lunch?", "b1", TuiHarness.NOW));
            String s = h.awaitText("bob: lunch?");
            assertThat(s).doesNotContain("unread").doesNotContain("New message");
            h.await(() -> h.messenger.called("markRead " + BOB), "markRead bob");
        }
    }

    @Test
    void theBellRingsForAnotherConversationOnlyWhenTurnedOn() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30, null, true)) {
            h.messenger.emit(connected(BOB, "bob"));
            h.awaitText("Chat with bob — connected");
            h.messenger.emit(new ChatEvent.MessageReceived(BOB, "bob", "shown here", "b1", TuiHarness.NOW));
            h.awaitText("bob: shown here");
            assertThat(h.bells.get()).isZero();
            h.messenger.emit(new ChatEvent.MessageReceived(CAROL, "carol", "elsewhere", "c1", TuiHarness.NOW));
            h.awaitText("New message from carol");
            h.await(() -> h.bells.get() == 1, "one bell");
        }
        try (TuiHarness h = twoConversations(100, 30)) {
            h.messenger.emit(new ChatEvent.MessageReceived(CAROL, "carol", "elsewhere", "c1", TuiHarness.NOW));
            h.awaitText("New message from carol");
            h.settle();
            assertThat(h.bells.get()).isZero();
        }
    }

    @Test
    void openingAConversationShowsItsNewestHistoryPageWithDeliveryStates() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.messenger.stored.put(CAROL, List.of(
                    new HistoryMessage(1, "s1", EARLIER, HistoryMessage.Direction.SENT, "first", 
                            HistoryMessage.Delivery.DELIVERED, Optional.empty(), true),
                    new HistoryMessage(2, "s2", EARLIER, HistoryMessage.Direction.SENT, "second",
                            HistoryMessage.Delivery.FAILED, Optional.of("the peer refused it"), true),
                    new HistoryMessage(3, "s3", EARLIER, HistoryMessage.Direction.SENT, "third",
                            HistoryMessage.Delivery.SENDING, Optional.empty(), true),
                    new HistoryMessage(4, "r4", EARLIER, HistoryMessage.Direction.RECEIVED, "fourth",
                            HistoryMessage.Delivery.RECEIVED, Optional.empty(), false)));
            h.messenger.conversations = List.of(info(CAROL, "carol", false, 1));
            h.messenger.emit(new ChatEvent.ConversationsChanged());
            h.awaitText("Alt+1  carol");
            h.alt('1');
            String s = h.awaitText("carol: fourth");
            assertThat(s).contains("Chat with carol — offline", "— start of the conversation —",
                    "09:30 me: first  [delivered]", "09:30 me: second  [failed: the peer refused it]",
                    "09:30 me: third  [sending…]", "09:30 carol: fourth");
            assertThat(h.messenger.callsSoFar()).contains("history " + CAROL + " newest 200");
            h.messenger.emit(new ChatEvent.Delivered(CAROL, "s3"));
            h.awaitText("09:30 me: third  [delivered]");
            h.messenger.emit(new ChatEvent.MessageReceived(CAROL, "carol", "fourth", "r4", EARLIER));
            h.settle();
            assertThat(h.screen()).containsOnlyOnce("carol: fourth");
        }
    }

    @Test
    void pageUpReadsOlderHistoryPageByPage() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.messenger.store(CAROL, 450, EARLIER);
            h.messenger.conversations = List.of(info(CAROL, "carol", false, 0));
            h.messenger.emit(new ChatEvent.ConversationsChanged());
            h.awaitText("Alt+1  carol");
            h.alt('1');
            String s = h.awaitText("carol: old 450");
            assertThat(s).contains("carol: old 440").doesNotContain("carol: old 250\n");
            h.await(() -> h.messenger.calls.contains("history " + CAROL + " newest 200"), "the newest page");
            assertThat(h.messenger.called("history " + CAROL + " 251")).isFalse();
            // 200 lines are loaded: scroll up through them, then PgUp asks for the page before position 251.
            for (int i = 0; i < 200 / ConversationScreen.SCROLL_STEP + 2; i++) {
                h.key(KeyType.PageUp);
            }
            h.await(() -> h.messenger.calls.contains("history " + CAROL + " 251 200"), "the second page");
            for (int i = 0; i < 300 / ConversationScreen.SCROLL_STEP + 2; i++) {
                h.key(KeyType.PageUp);
            }
            h.await(() -> h.messenger.calls.contains("history " + CAROL + " 51 200"), "the third page");
            for (int i = 0; i < 100 / ConversationScreen.SCROLL_STEP; i++) {
                h.key(KeyType.PageUp);
            }
            s = h.awaitText("— start of the conversation —");
            assertThat(s).contains("carol: old 1\n");
            h.settle();
            assertThat(h.messenger.callsSoFar().stream().filter(c -> c.startsWith("history ")).count())
                    .as("no page read twice, none after the first message").isEqualTo(3);
            for (int i = 0; i < 500 / ConversationScreen.SCROLL_STEP; i++) {
                h.key(KeyType.PageDown);
            }
            h.awaitText("carol: old 450");
        }
    }

    @Test
    void openSwitchesByNameAndRenameSetsTheLocalName() throws Exception {
        try (TuiHarness h = twoConversations(100, 30)) {
            h.type("/open car\n");
            h.awaitText("Chat with carol — connected");
            h.type("/open nobody\n");
            h.awaitText("No conversation is named nobody.");
            h.type("/rename Carol Smith\n");
            h.await(() -> h.messenger.calls.contains("rename " + CAROL + " Carol Smith"), "rename");
            h.messenger.conversations = List.of(info(BOB, "bob", true, 0), info(CAROL, "Carol Smith", true, 0));
            h.messenger.emit(new ChatEvent.ConversationsChanged());
            h.awaitText("Chat with Carol Smith — connected");
            h.type("/open bob\n");
            h.awaitText("Chat with bob — connected");
        }
    }

    @Test
    void clearAsksFirstAndOnlyYesDeletesTheHistory() throws Exception {
        try (TuiHarness h = twoConversations(100, 30)) {
            h.messenger.emit(new ChatEvent.MessageReceived(BOB, "bob", "keep me?", "b1", TuiHarness.NOW));
            h.awaitText("bob: keep me?");
            h.type("/clear\n");
            h.awaitText("Delete the history of the conversation with bob on this device?");
            h.type("n");
            h.awaitText("bob: keep me?");
            h.settle();
            assertThat(h.messenger.called("clearHistory")).isFalse();
            h.type("/clear\n");
            h.awaitText("Delete the history of the conversation with bob on this device?");
            h.type("y");
            h.await(() -> h.messenger.calls.contains("clearHistory " + BOB), "clearHistory bob");
            String s = h.awaitText("History cleared");
            assertThat(s).doesNotContain("keep me?");
        }
    }

    @Test
    void waitFromAConversationOpensTheNewConversationWhenItConnects() throws Exception {
        try (TuiHarness h = TuiTest.inChat(100, 40)) {
            h.type("/wait\n");
            h.awaitText("-----BEGIN CONNECTION CODE-----");
            h.messenger.conversations = List.of(info(BOB, "bob", true, 0), info(CAROL, "carol", true, 0));
            h.messenger.emit(connected(CAROL, "carol"));
            h.awaitText("Chat with carol — connected");
            h.alt('1');
            h.awaitText("Chat with bob — connected");
        }
    }

    @Test
    void anEightyByTwentyFourTerminalShowsTheListTheChatAndTheInput() throws Exception {
        try (TuiHarness h = twoConversations(80, 24)) {
            h.messenger.emit(new ChatEvent.MessageReceived(BOB, "bob", "small screen", "b1", TuiHarness.NOW));
            String s = h.awaitText("bob: small screen");
            List<String> lines = s.lines().toList();
            assertThat(lines.get(0)).contains("Alt+1  bob");
            assertThat(lines.get(1)).contains("Alt+2  carol");
            assertThat(lines).anyMatch(l -> l.startsWith("Chat with bob"));
            assertThat(lines).contains(">");
        }
    }

    @Test
    void aWaitLeftForAnotherConversationKeepsRunningAndItsConnectionIsANotice() throws Exception {
        try (TuiHarness h = TuiTest.inChat(100, 40)) {
            h.type("/wait\n");
            h.awaitText("-----BEGIN CONNECTION CODE-----");
            h.alt('1');
            h.awaitText("Chat with bob — connected");
            h.messenger.conversations = List.of(info(BOB, "bob", true, 0), info(CAROL, "carol", true, 0));
            h.messenger.emit(connected(CAROL, "carol"));
            String s = h.awaitText("Connected to carol (Alt+2).");
            assertThat(s).contains("Chat with bob — connected");
            h.settle();
            assertThat(h.messenger.called("cancel")).as("the wait was not abandoned").isFalse();
            h.alt('2');
            h.awaitText("Chat with carol — connected");
        }
    }

    @Test
    void escapeOnAConnectTheEngineHasNamedCancelsThatAttemptOnly() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.type("2");
            h.awaitText("Paste the peer's connection code");
            h.type("198.51.100.1:4000\n");
            h.await(() -> h.messenger.called("connect 198.51.100.1:4000"), "connect");
            h.messenger.emit(new ChatEvent.Progress("a1", ChatEvent.Stage.STUN, Duration.ofMillis(100), ""));
            h.awaitText("Connecting…");
            h.key(KeyType.Escape);
            h.await(() -> h.messenger.called("cancel a1"), "cancel a1");
            h.awaitText("main menu");
            assertThat(h.messenger.callsSoFar().stream().filter(c -> c.startsWith("cancel")).toList())
                    .containsExactly("cancel a1");
            assertThat(h.messenger.called("disconnect")).as("other conversations stay up").isFalse();
        }
    }

    @Test
    void theAltKeysKeepNamingTheSameConversationWhenTheEngineReordersItsList() {
        Conversations all = new Conversations();
        all.update(List.of(info(BOB, "bob", true, 0), info(CAROL, "carol", true, 0)));
        all.update(List.of(info(CAROL, "carol", true, 1), info(BOB, "bob", true, 0))); // carol wrote: now first
        assertThat(all.ordered()).extracting(Conversation::name).containsExactly("bob", "carol");
        assertThat(all.ordered().get(1).unread()).isEqualTo(1);
        all.get("dd00 ee11");
        all.update(List.of(info("ff00 0011", "erin", false, 0), info(CAROL, "carol", true, 0)));
        assertThat(all.ordered()).extracting(c -> c.peer).containsExactly(BOB, CAROL, "dd00 ee11", "ff00 0011");
        assertThat(all.named("er")).map(c -> c.peer).contains("ff00 0011");
        assertThat(all.named("ff000")).map(c -> c.peer).contains("ff00 0011");
        assertThat(all.named("nobody")).isEmpty();
    }

    @Test
    void theMenuListsTheConversationsAndCtrlPOpensTheLastOne() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.ctrl('n');
            h.awaitText("No conversations yet: Wait (1) or Connect (2) starts one.");
            h.messenger.conversations = List.of(info(BOB, "bob", false, 0), info(CAROL, "carol", false, 2));
            h.messenger.emit(new ChatEvent.ConversationsChanged());
            String s = h.awaitText("Conversations (Alt+1..9, or Ctrl+N and Ctrl+P, opens one):");
            assertThat(s).contains("main menu").containsPattern("Alt\\+2  carol +offline +2 unread");
            h.ctrl('p');
            h.awaitText("Chat with carol — offline");
            h.await(() -> h.messenger.called("markRead " + CAROL), "markRead carol");
            h.type("/menu\n");
            h.awaitText("main menu");
            assertThat(h.messenger.called("disconnect")).as("/menu keeps the connections").isFalse();
        }
    }

    @Test
    void aContactAwayWithARelayShowsTheRelayAndAMessageThereIsViaRelayUntilDelivered() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.messenger.stored.put(CAROL, List.of(new HistoryMessage(1, "s1", EARLIER,
                    HistoryMessage.Direction.SENT, "while away", HistoryMessage.Delivery.SENDING, Optional.empty(),
                    true)));
            h.messenger.conversations = List.of(new Messenger.ConversationInfo(CAROL, "carol", false, 0,
                    Optional.of(EARLIER), "idle", Optional.of("relay.example:443"), Optional.of("relay")));
            h.messenger.emit(new ChatEvent.ConversationsChanged());
            h.awaitText("Alt+1  carol");
            h.alt('1');
            String s = h.awaitText("me: while away");
            assertThat(s).contains("relay relay.example:443 · path relay");
            h.messenger.emit(new ChatEvent.Relayed(CAROL, "s1"));
            h.awaitText("09:30 me: while away  [via relay]");
            h.messenger.emit(new ChatEvent.Delivered(CAROL, "s1"));
            h.awaitText("09:30 me: while away  [delivered]");
        }
    }

    @Test
    void openingAnAwayContactWithARelayOffersAConnectionThereAndAConnectedOneIsLeftAlone() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.messenger.conversations = List.of(info(BOB, "bob", true, 0), new Messenger.ConversationInfo(CAROL,
                    "carol", false, 0, Optional.of(EARLIER), "closed", Optional.of("relay.example:443"),
                    Optional.of("relay")));
            h.messenger.emit(new ChatEvent.ConversationsChanged());
            h.awaitText("Alt+2  carol");
            h.alt('1');
            h.awaitText("Chat with bob");
            h.alt('2');
            h.awaitText("Offering a connection through the relay relay.example:443");
            Await.until(() -> "open called: " + h.messenger.calls, java.time.Duration.ofSeconds(10),
                    () -> h.messenger.calls.contains("open " + CAROL));
            assertThat(h.messenger.callsSoFar()).doesNotContain("open " + BOB);
        }
    }

    @Test
    void theLastMessageTimeIsAnHourTodayAndADayBefore() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.messenger.conversations = List.of(info(BOB, "bob", false, 0), new Messenger.ConversationInfo(CAROL,
                    "carol", false, 0, Optional.of(Instant.parse("2026-11-22T23:59:00Z")), "idle"));
            h.messenger.emit(new ChatEvent.ConversationsChanged());
            String s = h.awaitText("Alt+2  carol");
            assertThat(s).containsPattern("Alt\\+1  bob +offline +09:30").containsPattern("Alt\\+2  carol +offline +22 Nov");
        }
    }
}
