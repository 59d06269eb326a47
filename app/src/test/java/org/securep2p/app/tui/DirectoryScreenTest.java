package org.securep2p.app.tui;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;
import org.securep2p.crypto.SecurityLevel;

import com.googlecode.lanterna.input.KeyType;

import static org.assertj.core.api.Assertions.assertThat;

/** The organisation's Directory screen and the chat-request dialog (PROTOCOL.md §23.3-23.4) on a virtual terminal. */
class DirectoryScreenTest {

    private static void organisationMode(TuiHarness h) {
        h.messenger.emit(new ChatEvent.Ready(FakeMessenger.FINGERPRINT, "alice", "keyring", "on",
                ChatEvent.Ready.ORGANISATION + " \"Control\" (you are Control-Alpha)"));
    }

    @Test
    void theMenuOffersTheDirectoryOnlyInOrganisationMode() {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            assertThat(h.awaitText("7  Quit")).doesNotContain("Directory");
            organisationMode(h);
            h.awaitText("d  Directory");
        }
    }

    @Test
    void listsMembersWithPresenceAndOpensOrBlocksTheHighlightedOne() {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.messenger.members = List.of(
                    new Messenger.MemberInfo("Control-Bravo", "BBBB", true, false, false),
                    new Messenger.MemberInfo("Control-Charlie", "CCCC", false, false, false));
            organisationMode(h);
            h.awaitText("d  Directory");
            h.type("d");
            String s = h.awaitText("Control-Charlie  offline");
            assertThat(s).contains("Control-Bravo  online");
            h.enter();
            h.await(() -> h.messenger.called("openMember Control-Bravo"), "open Bravo by name");
            h.awaitText("Asked Control-Bravo to talk");
            h.key(KeyType.ArrowDown);
            h.type("b");
            h.await(() -> h.messenger.called("block Control-Charlie"), "block Charlie");
        }
    }

    @Test
    void anIncomingRequestIsShownAndAcceptedOrDeclined() {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.awaitText("7  Quit");
            h.messenger.emit(new ChatEvent.ChatRequest("0a0b", "Control-Alpha", "AAAA", SecurityLevel.ENHANCED));
            h.awaitText("Control-Alpha wants to talk");
            h.type("a");
            h.await(() -> h.messenger.called("acceptRequest 0a0b"), "accept");
            h.messenger.emit(new ChatEvent.ChatRequest("0c0d", "Control-Delta", "DDDD", SecurityLevel.STANDARD));
            h.awaitText("Control-Delta wants to talk");
            h.type("d");
            h.await(() -> h.messenger.called("declineRequest 0c0d"), "decline");
        }
    }
}
