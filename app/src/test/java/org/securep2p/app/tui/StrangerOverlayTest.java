package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.securep2p.app.ChatEvent;
import org.securep2p.crypto.SecurityLevel;

import com.googlecode.lanterna.input.KeyType;

/**
 * A stranger on the fixed port (PROTOCOL.md §20.8) is asked about, each answer reaches the messenger; the menu says
 * the port is open.
 */
class StrangerOverlayTest {

    private static final String PEER = "ABCD ".repeat(15) + "ABCD";

    private static ChatEvent.StrangerAsks ask(String name) {
        return new ChatEvent.StrangerAsks(PEER, name, "127.0.0.1:40123", SecurityLevel.QUANTUM_RESISTANT);
    }

    @Test
    void showsWhoIsConnectingAndEveryAnswer() {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.awaitText("7  Quit");
            h.messenger.emit(ask("mallory\u202Eevil"));
            String s = h.awaitText("Someone who is not a contact is connecting");
            assertThat(s).contains("127.0.0.1:40123").contains("Fingerprint: ABCD ABCD")
                    .contains("o: accept once   a: accept and trust   r: refuse   b: refuse and block")
                    .doesNotContain("\u202E");
        }
    }

    @Test
    void eachKeyGivesItsAnswer() {
        String[][] cases = {{"o", "ACCEPT_ONCE", "for this conversation only"}, {"a", "ACCEPT", "added it to your"},
            {"r", "REFUSE", "Refused carol."}, {"b", "REJECT", "now and later"}};
        for (String[] c : cases) {
            try (TuiHarness h = new TuiHarness(100, 30)) {
                h.awaitText("7  Quit");
                h.messenger.emit(ask("carol"));
                h.awaitText("Someone who is not a contact is connecting");
                h.type(c[0]);
                h.await(() -> h.messenger.called("decide " + PEER + " " + c[1]), c[1]);
                h.awaitText(c[2]);
            }
        }
    }

    @Test
    void theMenuSaysTheFixedPortIsOpen() {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            assertThat(h.awaitText("7  Quit")).doesNotContain("Listening on UDP port");
        }
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.awaitText("7  Quit");
            h.messenger.listeningPort = java.util.Optional.of(40000);
            h.messenger.emit(new ChatEvent.ConversationsChanged()); // a redraw
            h.awaitText("Listening on UDP port 40000: contacts connect at any time");
        }
    }

    @Test
    void aQuestionThatArrivesWhileAnotherIsUpWaitsBehindItAndIsNotLost() {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.awaitText("7  Quit");
            h.messenger.emit(new ChatEvent.ChatRequest("0a0b", "Control-Alpha", "AAAA", SecurityLevel.ENHANCED));
            h.awaitText("Control-Alpha wants to talk");
            h.messenger.emit(ask("carol"));
            h.messenger.emit(new ChatEvent.ChatRequest("0c0d", "Control-Delta", "DDDD", SecurityLevel.STANDARD));
            assertThat(h.awaitText("Control-Alpha wants to talk")).doesNotContain("not a contact");
            h.type("d");
            h.await(() -> h.messenger.called("declineRequest 0a0b"), "the first answered");
            h.awaitText("Someone who is not a contact is connecting");
            h.type("o");
            h.await(() -> h.messenger.called("decide " + PEER + " ACCEPT_ONCE"), "the stranger answered");
            h.awaitText("Control-Delta wants to talk");
        }
    }

    @Test
    void escapeRefusesThisConnectionOnly() {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.awaitText("7  Quit");
            h.messenger.emit(ask("carol"));
            h.awaitText("Someone who is not a contact is connecting");
            h.key(KeyType.Escape);
            h.await(() -> h.messenger.called("decide " + PEER + " REFUSE"), "refuse");
        }
    }
}
