package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.securep2p.app.AppException;
import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;
import org.securep2p.crypto.SecurityLevel;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;

class TuiTest {

    /** A code as long as the real ones, from the code alphabet. */
    static final String LONG_CODE = "sp2p1:" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_".repeat(6).substring(0, 200);

    /** Bob's fingerprint: the conversation's name in the engine's events. */
    static final String BOB = "ff00 ee11 ff00 ee11 ff00 ee11 ff00 ee11 ff00 ee11 ff00 ee11 ff00 ee11 ff00 ee11";

    static ChatEvent.Connected connected() {
        return new ChatEvent.Connected(BOB, "a1", "bob", FakeMessenger.SAFETY, SecurityLevel.QUANTUM_RESISTANT,
                "direct", ChatEvent.TrustMode.TRUST_ON_FIRST_USE, false, false);
    }

    static TuiHarness inChat(int columns, int rows) {
        TuiHarness h = new TuiHarness(columns, rows);
        h.messenger.emit(connected());
        h.awaitText("Chat with bob");
        return h;
    }

    @Test
    void menuShowsEveryItemWithItsNumber() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            String s = h.awaitText("7  Quit");
            assertThat(s).contains("1  Wait for incoming connection", "2  Connect to a peer",
                    "3  Retry STUN discovery", "4  Security level: QUANTUM_RESISTANT", "5  Identity", "6  Peers");
        }
    }

    @Test
    void numberKeysOpenMenuItems() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.type("5");
            h.awaitText("Fingerprint:       " + FakeMessenger.FINGERPRINT);
            h.key(KeyType.Escape);
            h.awaitText("main menu");
            h.type("4");
            h.awaitText("Minimum security level");
            h.type("2");
            String s = h.awaitText("4  Security level: ENHANCED");
            assertThat(s).contains("min level ENHANCED");
            h.type("1");
            h.await(() -> h.messenger.called("waitForPeer ENHANCED"), "waitForPeer at the chosen floor");
        }
    }

    @Test
    void theMenuIsUpWhileTheKeysUnlockAndAWaitChosenMeanwhileStartsWhenTheyAreReady() throws Exception {
        CompletableFuture<Messenger> keys = new CompletableFuture<>();
        try (TuiHarness h = new TuiHarness(100, 30, keys)) {
            String s = h.awaitText("7  Quit");
            assertThat(s).contains(Tui.UNLOCKING, "keys: " + Tui.UNLOCKING);
            h.type("1");
            s = h.awaitText(Tui.UNLOCKING + " Wait for incoming connection follows");
            assertThat(s).contains("main menu");
            h.settle();
            assertThat(h.messenger.callsSoFar()).isEmpty();
            keys.complete(h.messenger);
            h.await(() -> h.messenger.called("waitForPeer QUANTUM_RESISTANT"), "the queued wait");
            h.awaitText("Waiting for an incoming connection");
            h.key(KeyType.Escape);
            s = h.awaitText("fingerprint " + FakeMessenger.FINGERPRINT);
            assertThat(s).doesNotContain(Tui.UNLOCKING).contains("keys: keyring");
        }
    }

    @Test
    void keysThatNeedNoKeyManagerAnswerWhileItStarts() throws Exception {
        CompletableFuture<Messenger> keys = new CompletableFuture<>();
        try (TuiHarness h = new TuiHarness(100, 30, keys)) {
            h.type("4");
            h.awaitText("Minimum security level");
            h.type("2");
            h.awaitText("4  Security level: ENHANCED");
            h.type("5");
            h.awaitText(Tui.UNLOCKING + " Identity follows");
            keys.complete(h.messenger);
            h.awaitText("Fingerprint:       " + FakeMessenger.FINGERPRINT);
        }
    }

    @Test
    void aKeyManagerThatFailsAfterTheMenuIsUpIsShownAndTheUserCanQuit() throws Exception {
        CompletableFuture<Messenger> keys = new CompletableFuture<>();
        TuiHarness h = new TuiHarness(120, 30, keys);
        h.type("2");
        h.awaitText(Tui.UNLOCKING + " Connect to a peer follows");
        keys.completeExceptionally(new AppException(AppException.Reason.START_FAILED,
                "securep2p: the key manager did not start: key manager exited before serving (status 1)\n"
                        + "  The OS keyring is locked: unlock it (log in to the desktop session) and start again."));
        String s = h.awaitText("key manager exited before serving (status 1)");
        assertThat(s).contains("The keys could not be unlocked:", "The OS keyring is locked: unlock it",
                "keys: unavailable", "press 7, q or Escape to quit").doesNotContain("Paste the peer's connection code");
        h.type("1");
        h.settle();
        assertThat(h.messenger.callsSoFar()).isEmpty();
        h.type("7");
        h.await(h::finished, "the TUI to end");
        assertThat(h.failure.get()).isNull();
        assertThat(h.messenger.called("close")).as("no messenger to close").isFalse();
    }

    @Test
    void arrowsAndEnterNavigateTheMenu() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.key(KeyType.ArrowDown);
            h.awaitText(" > 2  Connect to a peer");
            h.enter();
            h.awaitText("Paste the peer's connection code");
            h.key(KeyType.Escape);
            h.key(KeyType.ArrowUp);
            h.awaitText(" > 1  Wait for incoming connection");
        }
    }

    @Test
    void statusBarShowsLevelAndKeyProtection() throws Exception {
        try (TuiHarness h = new TuiHarness(140, 30)) {
            h.awaitText("keys: keyring");
            String bar = h.line(29);
            assertThat(bar).contains("min level QUANTUM_RESISTANT", "keys: keyring", "memory protection: on",
                    "endpoint unknown");
            h.messenger.waitResult = new ChatEvent.Endpoint("a1", "", "203.0.113.7:40000",
                    "ENDPOINT_INDEPENDENT/ADDRESS_AND_PORT_DEPENDENT", "The other person must send an answer code "
                    + "back: your NAT only lets in packets from addresses you have sent to.", true);
            h.type("3");
            h.await(() -> h.messenger.called("discoverEndpoint"), "STUN retry");
            // The advice sentence, never the machine-readable kind.
            String screen = h.awaitScreen(s -> h.line(28).contains("endpoint 203.0.113.7:40000")
                    && h.line(29).contains("The other person must send an answer code back"));
            assertThat(screen).doesNotContain("ENDPOINT_INDEPENDENT").doesNotContain("NAT: ")
                    .contains("Public endpoint 203.0.113.7:40000. The other person must send an answer code back")
                    .contains("The other person must send an answer code back: your NAT only lets in packets from "
                            + "addresses you have sent to.");
        }
    }

    @Test
    void waitScreenShowsTheCodeAloneOnItsLinesAndAsQr() throws Exception {
        try (TuiHarness h = new TuiHarness(120, 70)) {
            h.messenger.waitResult = new ChatEvent.Endpoint("a1", LONG_CODE, "203.0.113.7:40000", "full cone", "", false);
            h.type("1");
            String s = h.awaitText(Tui.CODE_END);
            List<String> lines = s.lines().toList();
            int begin = lines.indexOf(Tui.CODE_BEGIN);
            int end = lines.indexOf(Tui.CODE_END);
            assertThat(begin).isNotNegative();
            assertThat(String.join("", lines.subList(begin + 1, end))).isEqualTo(LONG_CODE);
            assertThat(s).contains("203.0.113.7:40000").containsAnyOf("▀", "▄").contains("█");
            assertThat(h.messenger.callsSoFar()).contains("waitForPeer QUANTUM_RESISTANT");
        }
    }

    @Test
    void waitScreenOnASmallTerminalKeepsTheTextCodeAndSkipsTheQr() throws Exception {
        try (TuiHarness h = new TuiHarness(60, 24)) {
            h.messenger.waitResult = new ChatEvent.Endpoint("a1", LONG_CODE, "203.0.113.7:40000", "full cone", "", false);
            h.type("1");
            String s = h.awaitText(Tui.CODE_END);
            List<String> lines = s.lines().toList();
            int begin = lines.indexOf(Tui.CODE_BEGIN);
            int end = lines.indexOf(Tui.CODE_END);
            assertThat(String.join("", lines.subList(begin + 1, end))).isEqualTo(LONG_CODE);
            assertThat(s).doesNotContain("█");
        }
    }

    @Test
    void escapeStopsWaitingAndReturnsToTheMenu() throws Exception {
        try (TuiHarness h = new TuiHarness(120, 40)) {
            h.type("1");
            h.awaitText(Tui.CODE_END);
            h.key(KeyType.Escape);
            h.awaitText("main menu");
            h.await(() -> h.messenger.called("cancel a1"), "cancel");
            h.messenger.emit(connected()); // a late connection still opens the chat rather than vanishing
            h.awaitText("Chat with bob — connected");
        }
    }

    @Test
    void newestChatLineSitsJustAboveTheInput() throws Exception {
        try (TuiHarness h = inChat(100, 30)) {
            h.messenger.emit(new ChatEvent.MessageReceived(BOB, "bob", "latest", "p1", TuiHarness.NOW));
            h.awaitText("bob: latest");
            List<String> lines = h.screen().lines().toList();
            int input = lines.indexOf(">");
            assertThat(lines.get(input - 2)).endsWith("bob: latest");
        }
    }

    @Test
    void pastedAnswerCodeGoesToAcceptAnswer() throws Exception {
        try (TuiHarness h = new TuiHarness(120, 40)) {
            h.messenger.waitResult = new ChatEvent.Endpoint("a1", "CODE", "203.0.113.7:40000", "symmetric", "", true);
            h.type("1");
            h.awaitText("The peer will show an answer code");
            h.type("ANS WER\n");
            // Passed as typed: the transport's parser skips the spaces (and line breaks, and marker lines).
            h.await(() -> h.messenger.called("acceptAnswer ANS WER"), "acceptAnswer");
            h.messenger.emit(connected());
            h.awaitText("Chat with bob — connected");
        }
    }

    @Test
    void connectScreenPassesAPastedCodeWithSpacesAndNewlinesToConnect() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.type("2");
            h.awaitText("Paste the peer's connection code");
            String pasted = LONG_CODE.substring(0, 90) + "\n" + LONG_CODE.substring(90, 150) + " "
                    + LONG_CODE.substring(150) + "\n";
            synchronized (h.terminal) { // one paste: the UI sees every key of it in one batch
                h.type(pasted);
            }
            h.await(() -> h.messenger.called("connect "), "connect");
            // A pasted line break is a space in the field; the transport's parser skips both.
            assertThat(h.messenger.callsSoFar()).contains("connect " + LONG_CODE.substring(0, 90) + " "
                    + LONG_CODE.substring(90, 150) + " " + LONG_CODE.substring(150) + " QUANTUM_RESISTANT");
            h.messenger.emit(new ChatEvent.Progress("a1", ChatEvent.Stage.STUN, Duration.ofMillis(400), "2 servers"));
            h.messenger.emit(new ChatEvent.Progress("a1", ChatEvent.Stage.ICE, Duration.ofMillis(2300), "checking"));
            String s = h.awaitText("ICE");
            // Each stage shows when it began and, once the next began, what it took.
            assertThat(s).contains("STUN", "0.4 s", "took 1.9 s", "2.3 s", "checking");
            h.messenger.emit(connected());
            h.awaitText("Chat with bob — connected");
        }
    }

    @Test
    void connectFailureIsShownAsASentence() throws Exception {
        try (TuiHarness h = new TuiHarness(120, 30)) {
            h.messenger.connectFailure = new AppException(AppException.Reason.BAD_CODE, "It is too short.");
            h.type("2");
            h.awaitText("Paste the peer's connection code");
            h.type("xyz\n");
            h.awaitText("That is not a valid connection code or host:port. It is too short.");
        }
    }

    @Test
    void failureEventEndsTheAttemptAndAllowsARetry() throws Exception {
        try (TuiHarness h = new TuiHarness(120, 30)) {
            h.type("2");
            h.awaitText("Paste the peer's connection code");
            h.type("198.51.100.1:4000\n");
            h.await(() -> h.messenger.called("connect 198.51.100.1:4000"), "connect");
            h.messenger.emit(new ChatEvent.Failure("a1", "The peer's security level is below your minimum."));
            h.awaitText("The peer's security level is below your minimum.");
            h.messenger.calls.clear();
            h.enter();
            h.await(() -> h.messenger.called("connect 198.51.100.1:4000"), "a second connect");
        }
    }

    @Test
    void unreachablePeerWhileConnectingIsShownInWords() throws Exception {
        try (TuiHarness h = new TuiHarness(120, 30)) {
            h.type("2");
            h.awaitText("Paste the peer's connection code");
            h.type("198.51.100.1:4000\n");
            h.await(() -> h.messenger.called("connect 198.51.100.1:4000"), "connect");
            h.messenger.emit(new ChatEvent.Disconnected(BOB, ChatEvent.DisconnectKind.PEER_UNREACHABLE,
                    "no answer to connectivity checks", 0));
            h.awaitText("Not connected: peer unreachable (no answer to connectivity checks)");
        }
    }

    @Test
    void chatShowsAReceivedMessageWithTimeAndSender() throws Exception {
        try (TuiHarness h = inChat(100, 30)) {
            h.awaitText("path direct · level QUANTUM_RESISTANT · trust-on-first-use · safety 12345 12345");
            h.messenger.emit(new ChatEvent.MessageReceived(BOB, "bob", "hello there", "p1", TuiHarness.NOW));
            h.awaitText("14:05 bob: hello there");
        }
    }

    @Test
    void ownMessageGoesFromSendingToDelivered() throws Exception {
        try (TuiHarness h = inChat(100, 30)) {
            h.type("hi bob\n");
            h.await(() -> h.messenger.sent.contains("hi bob"), "send");
            h.awaitText("14:05 me: hi bob  [sending…]");
            h.messenger.emit(new ChatEvent.Delivered(BOB, "m1"));
            h.awaitText("14:05 me: hi bob  [delivered]");
        }
    }

    @Test
    void ownMessageShowsWhyItFailed() throws Exception {
        try (TuiHarness h = inChat(100, 30)) {
            h.type("one\n");
            h.await(() -> h.messenger.sent.contains("one"), "send");
            h.messenger.emit(new ChatEvent.SendFailed(BOB, "m1", "the peer refused it"));
            h.awaitText("me: one  [failed: the peer refused it]");
        }
    }

    @Test
    void engineRefusalToSendIsShownOnTheMessage() throws Exception {
        try (TuiHarness h = inChat(140, 30)) {
            h.messenger.sendFailure = new AppException(AppException.Reason.TOO_LONG, "Limit 4096 bytes.");
            h.type("long\n");
            h.awaitText("me: long  [failed: The message is too long. Limit 4096 bytes.]");
        }
    }

    @Test
    void disconnectionIsShownInWordsAndLaterMessagesAreQueued() throws Exception {
        try (TuiHarness h = inChat(120, 30)) {
            h.messenger.emit(new ChatEvent.Disconnected(BOB, ChatEvent.DisconnectKind.PEER_OFFLINE, "", 2));
            h.awaitText("Chat with bob — disconnected: peer offline; 2 messages still queued");
            h.type("later\n");
            h.await(() -> h.messenger.sent.contains("later"), "send while disconnected");
            h.awaitText("me: later  [queued]");
        }
    }

    @Test
    void verifyShowsTheSixtyDigitsAndMarksVerifiedOnlyAfterConfirmation() throws Exception {
        try (TuiHarness h = inChat(100, 50)) {
            h.type("/verify\n");
            String s = h.awaitText("Safety number with bob");
            List<String> blocks = new ArrayList<>();
            for (String line : s.lines().toList()) {
                if (line.matches("\\s*(\\d{5} ){3}\\d{5}")) {
                    blocks.addAll(List.of(line.trim().split(" ")));
                }
            }
            assertThat(blocks).hasSize(12);
            assertThat(String.join("", blocks)).isEqualTo(FakeMessenger.SAFETY);
            assertThat(s).contains("█");
            h.settle();
            assertThat(h.messenger.called("markVerified")).isFalse();
            h.type("y");
            h.await(() -> h.messenger.called("markVerified"), "markVerified");
            h.awaitText("safety number verified");
        }
    }

    @Test
    void verifyCanBeDismissedWithoutMarking() throws Exception {
        try (TuiHarness h = inChat(100, 50)) {
            h.type("/verify\n");
            h.awaitText("Safety number with bob");
            h.key(KeyType.Escape);
            h.awaitText("Chat with bob");
            h.settle();
            assertThat(h.messenger.called("markVerified")).isFalse();
        }
    }

    @Test
    void peerChangedBlocksSendingUntilTheUserAccepts() throws Exception {
        try (TuiHarness h = inChat(120, 40)) {
            h.messenger.emit(new ChatEvent.PeerChanged("NEW1 NEW2", "bob", "OLD1 OLD2", "NEW1 NEW2",
                    "Seen from 198.51.100.9."));
            String s = h.awaitText("sending is blocked until you decide");
            assertThat(s).contains("Old fingerprint: OLD1 OLD2", "New fingerprint: NEW1 NEW2", "reinstalled",
                    "new device", "attack", "Seen from 198.51.100.9.", "v: verify", "a: accept", "r: reject");
            h.type("hello\n");
            h.settle();
            assertThat(h.messenger.sent).isEmpty();
            h.type("a");
            h.await(() -> h.messenger.called("decide NEW1 NEW2 ACCEPT"), "decide ACCEPT");
            h.awaitText("you accepted the new identity of bob");
            h.type("hello\n");
            h.await(() -> h.messenger.sent.contains("hello"), "send after the decision");
        }
    }

    @Test
    void peerChangedCanBeVerifiedThroughTheSafetyNumber() throws Exception {
        try (TuiHarness h = inChat(120, 50)) {
            h.messenger.emit(new ChatEvent.PeerChanged("NEW", "bob", "OLD", "NEW", ""));
            h.awaitText("sending is blocked until you decide");
            h.type("v");
            h.awaitText("Safety number with bob");
            h.type("y");
            h.await(() -> h.messenger.called("decide NEW VERIFY"), "decide VERIFY");
        }
    }

    @Test
    void peerChangedCanBeRejected() throws Exception {
        try (TuiHarness h = inChat(120, 40)) {
            h.messenger.emit(new ChatEvent.PeerChanged("NEW", "bob", "OLD", "NEW", ""));
            h.awaitText("sending is blocked until you decide");
            h.key(KeyType.Escape);
            h.type("r");
            h.await(() -> h.messenger.called("decide NEW REJECT"), "decide REJECT");
            h.awaitText("you rejected the new identity of bob");
        }
    }

    @Test
    void helpListsTheCommandsAndQuitReturnsToTheMenu() throws Exception {
        try (TuiHarness h = inChat(120, 30)) {
            h.type("/help\n");
            h.awaitText("/verify  compare the safety number");
            h.type("/quit\n");
            h.awaitText("main menu");
            h.await(() -> h.messenger.called("disconnect"), "disconnect");
            assertThat(h.finished()).isFalse();
        }
    }

    @Test
    void resizeRedrawsTheCurrentView() throws Exception {
        try (TuiHarness h = inChat(100, 30)) {
            h.messenger.emit(new ChatEvent.MessageReceived(BOB, "bob", "before the resize", "p1", TuiHarness.NOW));
            h.awaitText("before the resize");
            h.terminal.setTerminalSize(new TerminalSize(50, 12));
            h.awaitScreen(s -> h.line(10).contains("min level") && h.line(11).contains("endpoint unknown")
                    && s.contains("before the resize"));
            h.terminal.setTerminalSize(new TerminalSize(20, 5));
            h.awaitText("Terminal too small");
            h.terminal.setTerminalSize(new TerminalSize(140, 45));
            h.awaitScreen(s -> h.line(44).contains("min level QUANTUM_RESISTANT") && s.contains("Chat with bob"));
            assertThat(h.failure.get()).isNull();
        }
    }

    @Test
    void ctrlCQuitsAndClosesTheMessenger() throws Exception {
        try (TuiHarness h = new TuiHarness(80, 24)) {
            h.ctrl('c');
            h.await(h::finished, "the UI thread to end");
            assertThat(h.messenger.closed).isTrue();
        }
    }

    @Test
    void escapeOnTheMenuQuits() throws Exception {
        try (TuiHarness h = new TuiHarness(80, 24)) {
            h.key(KeyType.Escape);
            h.await(h::finished, "the UI thread to end");
            assertThat(h.messenger.closed).isTrue();
        }
    }

    @Test
    void peersListShowsTheTrustStoreAndUntrusts() throws Exception {
        try (TuiHarness h = new TuiHarness(120, 30)) {
            h.messenger.peers = List.of(new Messenger.PeerInfo("FP-BOB", List.of("bob"), "2026-01-01",
                    "2026-11-20", "198.51.100.2:4000", true, "code"));
            h.type("6");
            h.awaitText("bob [verified]  FP-BOB");
            h.type("u");
            h.awaitText("Forget this peer?");
            h.type("y");
            h.await(() -> h.messenger.called("decide FP-BOB UNTRUST"), "untrust");
        }
    }

    @Test
    void peerTextCannotSmuggleTerminalControlSequences() throws Exception {
        try (TuiHarness h = inChat(100, 30)) {
            h.messenger.emit(new ChatEvent.MessageReceived(BOB, "bob", "a\u001b[2Jb\u202Ec", "p1", TuiHarness.NOW));
            h.awaitText("bob: a?[2Jb?c");
        }
    }

    @Test
    void unknownKeysDoNotBreakTheLoop() throws Exception {
        try (TuiHarness h = new TuiHarness(80, 24)) {
            h.terminal.addInput(new KeyStroke(KeyType.F5));
            h.type("9");
            h.settle();
            h.type("5");
            h.awaitText("Your identity");
        }
    }
}
