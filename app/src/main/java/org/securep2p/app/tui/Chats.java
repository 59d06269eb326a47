package org.securep2p.app.tui;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;

/**
 * Every conversation and every running wait or connect the TUI shows, and how engine events reach them: events
 * about a peer go to its {@link Conversation}, events about an attempt to the wait or connect screen that owns
 * it, wherever the user is. Also opening a conversation (marks it read, reads its history page by page),
 * switching (Alt+1..9, Ctrl+N/P), the notice and bell for a message elsewhere, and the identity changes not
 * decided yet. Confined to the UI thread.
 *
 * <p>Not its job: drawing (the screens), or calling the engine on the UI thread ({@link Tui#async}).
 */
final class Chats {

    private static final Logger LOG = LoggerFactory.getLogger(Chats.class);

    private final Tui tui;
    private final Conversations conversations = new Conversations();
    /** The wait and connect screens whose attempt runs, oldest first, whether they are shown or not. */
    private final List<Screen> attempts = new ArrayList<>();
    /** Identity changes the user has not decided yet: sending to the peer they concern is blocked meanwhile. */
    private final List<ChatEvent.PeerChanged> undecided = new ArrayList<>();
    private boolean refreshing;
    private boolean refreshAgain;

    Chats(Tui tui) {
        this.tui = tui;
    }

    Conversations conversations() {
        return conversations;
    }

    /** A wait or connect now runs: events about its attempt go to {@code attemptScreen} wherever the user is. */
    void attemptStarted(Screen attemptScreen) {
        if (!attempts.contains(attemptScreen)) {
            attempts.add(attemptScreen);
        }
    }

    void attemptEnded(Screen attemptScreen) {
        attempts.remove(attemptScreen);
    }

    /** The screen running engine attempt {@code id}; the newest whose id is not known yet if none has it. */
    private Optional<Screen> attemptScreen(String id) {
        Screen adopter = null;
        for (Screen s : attempts) {
            if (s instanceof WaitScreen w ? w.named(id) : s instanceof ConnectScreen c && c.named(id)) {
                return Optional.of(s);
            }
            if (s instanceof WaitScreen w ? w.owns(id) : s instanceof ConnectScreen c && c.owns(id)) {
                adopter = s;
            }
        }
        return Optional.ofNullable(adopter);
    }

    /** Only the screen that knows {@code id} as its own: a connection is never adopted by a guess. */
    private Optional<Screen> namedAttemptScreen(String id) {
        return attempts.stream().filter(s -> s instanceof WaitScreen w ? w.named(id)
                : s instanceof ConnectScreen c && c.named(id)).findFirst();
    }

    /** Shows {@code c}: marks it read, and reads its newest history page the first time. */
    void open(Conversation c) {
        tui.show(new ConversationScreen(tui, c));
        c.scroll = 0;
        markRead(c);
        if (c.history instanceof Conversation.NothingRead) {
            readPage(c, Optional.empty());
        }
        reconnectThroughRelay(c);
        promptIfWaiting(c);
        refreshTransfers(); // offers kept from before a restart are put to the user when their conversation opens
    }

    /**
     * A known contact who is not connected but has an inbox at a relay is offered a connection there (PROTOCOL.md
     * §22.7): no code to exchange. A conversation already waiting, dialling or deciding is left alone (and the
     * messenger itself never offers twice while an offer is open).
     */
    private void reconnectThroughRelay(Conversation c) {
        Messenger.ConversationInfo info = c.info;
        if (info == null || info.connected() || info.relay().isEmpty()
                || !("idle".equals(info.state()) || "closed".equals(info.state()))) {
            return;
        }
        c.log.addSystem(tui.now(), "Offering a connection through the relay " + info.relay().get() + "…");
        tui.async(() -> tui.messenger().open(c.peer), opened -> { },
                why -> c.log.addSystem(tui.now(), "Cannot reconnect through the relay: " + why));
    }

    /** The conversation up on the screen, if one is. */
    Optional<Conversation> shown() {
        return tui.screen() instanceof ConversationScreen s ? Optional.of(s.conversation()) : Optional.empty();
    }

    private void markRead(Conversation c) {
        boolean hadUnread = c.unread() > 0;
        c.readLocally();
        if (hadUnread || c.info == null) {
            tui.async(() -> tui.messenger().markRead(c.peer), () -> { });
        }
    }

    /** PgUp reached the oldest line loaded: reads the page before it, if there is one. */
    void readOlder(Conversation c) {
        if (c.history instanceof Conversation.ReadTo r) {
            readPage(c, Optional.of(r.oldest()));
        } else if (c.history instanceof Conversation.NothingRead) {
            readPage(c, Optional.empty());
        }
    }

    private void readPage(Conversation c, Optional<Long> before) {
        c.history = new Conversation.Loading(before);
        tui.async(() -> List.copyOf(tui.messenger().history(c.peer, before, ConversationScreen.HISTORY_PAGE)), page -> {
            c.log.prepend(page, c.name());
            if (page.isEmpty() || page.size() < ConversationScreen.HISTORY_PAGE || c.log.full()) {
                c.history = new Conversation.Complete();
            } else {
                c.history = new Conversation.ReadTo(page.get(0).position());
            }
        }, error -> {
            c.history = before.<Conversation.History>map(Conversation.ReadTo::new).orElseGet(Conversation.NothingRead::new);
            tui.showError(error);
        });
    }

    /** Reads the engine's conversation list again; one read at a time, a change meanwhile reads once more. */
    void refreshConversations() {
        if (refreshing) {
            refreshAgain = true;
            return;
        }
        refreshing = true;
        tui.async(() -> List.copyOf(tui.messenger().conversations()), list -> {
            conversations.update(list);
            shown().ifPresent(Conversation::readLocally); // shown means read, whatever the list said a moment ago
            afterRefresh();
        }, error -> {
            LOG.warn("conversations() failed: {}", error);
            afterRefresh();
        });
    }

    private void afterRefresh() {
        refreshing = false;
        if (refreshAgain) {
            refreshAgain = false;
            refreshConversations();
        }
    }

    /** The safety number with {@code c}: the engine's, or the one its last Connected event carried. */
    Optional<String> safetyNumber(Conversation c) {
        Optional<String> fromEngine = safetyNumber(c.peer);
        return fromEngine.isPresent() ? fromEngine : c.safetyNumber();
    }

    /** The engine's safety number with {@code peer} (a fingerprint), if it has one. */
    Optional<String> safetyNumber(String peer) {
        Optional<String> fromEngine;
        try {
            fromEngine = tui.messenger().safetyNumber(peer);
        } catch (RuntimeException e) {
            LOG.warn("safetyNumber() failed: {}", e.toString());
            fromEngine = Optional.empty();
        }
        return fromEngine != null && fromEngine.isPresent() && !Text.digits(fromEngine.get()).isEmpty()
                ? fromEngine : Optional.empty();
    }

    /**
     * True while an identity change of the peer of {@code c} is undecided: the change names the conversation's
     * fingerprint (old or new identity) or its name (the engine names the new identity's set-up by the name
     * the peer presented).
     */
    boolean blocked(Conversation c) {
        return undecided.stream().anyMatch(pc -> concerns(pc, c));
    }

    static boolean concerns(ChatEvent.PeerChanged pc, Conversation c) {
        String fp = Text.clean(c.peer).replace(" ", "");
        return fp.equalsIgnoreCase(Text.clean(pc.oldFingerprint()).replace(" ", ""))
                || fp.equalsIgnoreCase(Text.clean(pc.newFingerprint()).replace(" ", ""))
                || c.name().equalsIgnoreCase(Text.clean(pc.name()));
    }

    /** The user decided about {@code pc}; returns the conversations it concerned. */
    List<Conversation> decided(ChatEvent.PeerChanged pc) {
        undecided.remove(pc);
        return conversations.ordered().stream().filter(c -> concerns(pc, c)).toList();
    }

    /** Alt+1..9 opens conversation n; Ctrl+N and Ctrl+P the next and previous one. True if {@code key} was one. */
    boolean switchKey(KeyStroke key) {
        if (!(tui.keys() instanceof Tui.Unlocked) || key.getKeyType() != KeyType.Character) {
            return false;
        }
        List<Conversation> all = conversations.ordered();
        char ch = key.getCharacter();
        if (key.isAltDown() && !key.isCtrlDown() && ch >= '1' && ch <= '9') {
            int n = ch - '1';
            if (n < all.size()) {
                open(all.get(n));
            } else {
                tui.showError("There is no conversation " + (n + 1) + (all.isEmpty() ? " yet." : "; there are "
                        + all.size() + "."));
            }
            return true;
        }
        boolean next = KeyInput.isCtrl(key, 'n');
        if (!next && !KeyInput.isCtrl(key, 'p')) {
            return false;
        }
        if (all.isEmpty()) {
            tui.showError("No conversations yet: Wait (1) or Connect (2) starts one.");
            return true;
        }
        int at = shown().map(all::indexOf).orElse(-1);
        int to = at < 0 ? (next ? 0 : all.size() - 1) : Math.floorMod(at + (next ? 1 : -1), all.size());
        open(all.get(to));
        return true;
    }


    /** An engine event, on the UI thread. */
    void onEvent(ChatEvent event) {
        if (event instanceof ChatEvent.Ready r) {
            tui.setIdentity(r);
        } else if (event instanceof ChatEvent.Endpoint e) {
            if (e.endpoint() != null) {
                tui.setEndpoint(e);
            }
            attemptScreen(e.attempt()).ifPresent(s -> s.onEvent(e));
        } else if (event instanceof ChatEvent.Progress p) {
            attemptScreen(p.attempt()).ifPresent(s -> s.onEvent(p));
        } else if (event instanceof ChatEvent.AnswerCode a) {
            attemptScreen(a.attempt()).ifPresent(s -> s.onEvent(a));
        } else if (event instanceof ChatEvent.Failure f) {
            tui.showError(Text.clean(f.reason()));
            Optional<Screen> owner = f.attempt() == null || f.attempt().isEmpty() ? Optional.empty()
                    : attemptScreen(f.attempt());
            owner.ifPresentOrElse(s -> s.onEvent(f),
                    () -> shown().ifPresent(c -> c.log.addSystem(tui.now(), Text.clean(f.reason()))));
        } else if (event instanceof ChatEvent.Connected c) {
            onConnected(c);
        } else if (event instanceof ChatEvent.MessageReceived m) {
            onMessage(m);
        } else if (event instanceof ChatEvent.Delivered d) {
            conversations.get(d.peer()).log.delivered(d.id());
        } else if (event instanceof ChatEvent.Relayed r) {
            conversations.get(r.peer()).log.relayed(r.id());
        } else if (event instanceof ChatEvent.SendFailed f) {
            conversations.get(f.peer()).log.failed(f.id(), Text.clean(f.reason()));
        } else if (event instanceof ChatEvent.PeerChanged pc) {
            undecided.add(pc);
            tui.openOverlay(new PeerChangedOverlay(tui, pc));
        } else if (event instanceof ChatEvent.ChatRequest r) {
            tui.openOverlay(new ChatRequestOverlay(tui, r));
        } else if (event instanceof ChatEvent.StrangerAsks a) {
            tui.openOverlay(new StrangerOverlay(tui, a));
        } else if (event instanceof ChatEvent.Disconnected d) {
            onDisconnected(d);
        } else if (event instanceof ChatEvent.Notice n) {
            tui.showError(Text.clean(n.text()));
            shown().ifPresent(c -> c.log.addSystem(tui.now(), Text.clean(n.text())));
        } else if (event instanceof ChatEvent.ConversationsChanged) {
            refreshConversations();
        } else if (event instanceof ChatEvent.FileOffered o) {
            onFileOffered(o);
        } else if (event instanceof ChatEvent.FileProgress p) {
            onFileProgress(p);
        } else if (event instanceof ChatEvent.FileDone d) {
            onFileDone(d);
        } else if (event instanceof ChatEvent.FileFailed f) {
            onFileFailed(f);
        }
    }

    // ---------------------------------------------------------------- file transfers (PROTOCOL.md §24)

    /**
     * The peer offers a file. Shown as a line in its conversation; the prompt opens over that conversation when it
     * is on the screen, else when it is next opened. An offer the engine repeats (the sender sends it again after
     * each connection until it is answered) is the same transfer: no second line, no second prompt.
     */
    private void onFileOffered(ChatEvent.FileOffered o) {
        Conversation k = conversations.get(o.peer());
        if (k.files.ended(o.id()) || k.files.get(o.id()).isPresent()) {
            return;
        }
        String name = Text.clean(o.name());
        Transfers.Transfer t = k.files.getOrAdd(o.id(), name, false, o.autoAccepted() ? "receiving" : "asking")
                .orElseThrow();
        t.total = Math.max(0, o.size());
        t.mediaType = Text.clean(o.mediaType());
        String what = name + " (" + FileText.size(t.total) + (t.mediaType.isEmpty() ? "" : ", " + t.mediaType) + ")";
        if (o.autoAccepted()) {
            t.prompted = true;
            k.log.addSystem(tui.now(), FileText.IN + " " + k.name() + " sends " + what
                    + ": accepted by itself (files.auto_accept_mb)");
            return;
        }
        k.log.addSystem(tui.now(), FileText.IN + " " + k.name() + " offers " + what + ": /accept or /decline");
        if (shown().orElse(null) == k) {
            prompt(k, t);
        } else {
            tui.showInfo(k.name() + " offers a file" + switchHint(k) + ".");
            tui.ringIfAsked();
        }
    }

    /** Opens the offer's prompt unless another dialog is up (the offer stays listed and answerable by command). */
    private void prompt(Conversation k, Transfers.Transfer t) {
        if (tui.overlay().isEmpty()) {
            t.prompted = true;
            tui.openOverlay(new FileOfferOverlay(tui, k, t));
        }
    }

    /** The user answered the offer {@code t} of {@code k}'s peer: a in the prompt, or /accept or /decline. */
    void answerOffer(Conversation k, Transfers.Transfer t, boolean accept) {
        t.prompted = true;
        String name = t.name;
        if (accept) {
            tui.async(() -> tui.messenger().acceptFile(t.id), () -> {
                if (k.files.get(t.id).isEmpty()) {
                    return; // it ended meanwhile, and its line says how
                }
                if (t.asking()) {
                    t.state = "receiving";
                }
                k.log.addSystem(tui.now(), FileText.IN + " Accepted " + name + ": receiving it into downloads.");
            });
        } else {
            tui.async(() -> tui.messenger().declineFile(t.id), () -> {
                if (k.files.end(t.id).isPresent()) {
                    k.log.addSystem(tui.now(), FileText.FAILED + " " + name + ": declined");
                }
            });
        }
    }

    private void onFileProgress(ChatEvent.FileProgress p) {
        Conversation k = conversations.get(p.peer());
        boolean known = k.files.get(p.id()).isPresent();
        k.files.getOrAdd(p.id(), "…", false, "receiving").ifPresent(t -> {
            t.bytes = Math.max(0, p.bytes());
            t.total = Math.max(0, p.total());
            t.rate = Math.max(0, p.rate());
            // It moves: not waiting any more. An offer not answered yet stays one (relayed chunks come before).
            if (t.outgoing) {
                t.state = "sending";
            } else if (!t.asking()) {
                t.state = "receiving";
            }
            if (!known) {
                refreshTransfers(); // started before this TUI, or its id is not back from sendFile yet: ask its name
            }
        });
    }

    private void onFileDone(ChatEvent.FileDone d) {
        Conversation k = conversations.get(d.peer());
        closePrompt(d.id());
        Optional<Transfers.Transfer> t = k.files.end(d.id());
        String name = t.map(x -> x.name).filter(n -> !n.equals("…")).orElseGet(() -> FileText.fileName(d.path()));
        String size = t.map(x -> " (" + FileText.size(x.total) + ")").orElse("");
        String where = FileText.where(d.path(), tui.userHome());
        String line = t.isPresent() && t.get().outgoing
                ? FileText.DONE + " " + name + size + " sent to " + k.name() + ", who checked and kept it"
                : FileText.DONE + " " + name + size + " saved to " + where;
        k.log.addSystem(tui.now(), line);
        if (shown().orElse(null) != k) {
            tui.showInfo(name + (t.isPresent() && t.get().outgoing ? " sent to " : " received from ") + k.name()
                    + switchHint(k) + ".");
        }
    }

    private void onFileFailed(ChatEvent.FileFailed f) {
        Conversation k = conversations.get(f.peer());
        closePrompt(f.id());
        if (k.files.ended(f.id())) {
            return; // declined here: the line is written already
        }
        Optional<Transfers.Transfer> t = k.files.end(f.id());
        String name = t.map(x -> x.name).filter(n -> !n.equals("…")).orElse("file " + Text.clean(f.id()));
        k.log.addSystem(tui.now(), FileText.FAILED + " " + name + ": " + Text.clean(f.reason()));
        if (shown().orElse(null) != k) {
            tui.showInfo((t.isPresent() && t.get().outgoing ? "Sending " + name + " to " : "Receiving " + name
                    + " from ") + k.name() + " failed" + switchHint(k) + ".");
        }
    }

    /** A prompt about a transfer that ended goes away: there is nothing left to answer. */
    private void closePrompt(String id) {
        if (tui.overlay().orElse(null) instanceof FileOfferOverlay o && o.about(id)) {
            tui.closeOverlay(o);
        }
    }

    /**
     * Reads the engine's list of transfers and shows those that have not ended in their conversations: offers
     * from before a restart that wait for an answer, and transfers this TUI has only seen an event of.
     */
    void refreshTransfers() {
        tui.async(() -> List.copyOf(tui.messenger().transfers()), list -> {
            for (Messenger.TransferInfo info : list) {
                if (!RUNNING.contains(info.state())) {
                    continue; // ended: its event said so, or the history does
                }
                Conversation k = conversations.get(info.peer());
                k.files.getOrAdd(info.id(), Text.clean(info.name()), info.outgoing(), info.state()).ifPresent(t -> {
                    t.name = Text.clean(info.name());
                    t.outgoing = info.outgoing();
                    t.state = info.state();
                    // A progress event newer than this list wins; the list fills in what no event said yet.
                    if (info.bytes() >= t.bytes) {
                        t.bytes = Math.max(0, info.bytes());
                        t.total = Math.max(0, info.total());
                        t.rate = Math.max(0, info.rate());
                    }
                });
            }
            shown().ifPresent(this::promptIfWaiting);
        }, error -> LOG.warn("transfers() failed: {}", error));
    }

    private static final java.util.Set<String> RUNNING = java.util.Set.of("offered", "asking", "sending",
            "receiving", "waiting");

    /** An offer that came while the user was elsewhere is put to them when they open its conversation. */
    private void promptIfWaiting(Conversation c) {
        c.files.latestUnprompted().ifPresent(t -> prompt(c, t));
    }

    /**
     * A conversation is up. The user is taken to it from the menu or the screen of a wait or connect; someone
     * reading another conversation is told in the notice instead of being moved.
     */
    private void onConnected(ChatEvent.Connected c) {
        Conversation k = conversations.get(c.peer());
        namedAttemptScreen(c.attempt()).ifPresent(s -> s.onEvent(c));
        k.connected(c);
        Instant t = tui.now();
        k.log.addSystem(t, "connected to " + Text.clean(c.name()) + " (" + Text.clean(c.path()) + ", " + c.level()
                + (c.resumed() ? ", session resumed" : ", new session") + "; " + c.trust().label() + ")");
        c.certifiedName().ifPresent(name -> k.log.addSystem(t, "Peer ID: " + Text.clean(name)
                + " (certified by your organisation's CA)"));
        refreshConversations();
        Optional<Conversation> reading = shown();
        if (reading.isPresent() && reading.get() != k) {
            tui.showInfo("Connected to " + k.name() + switchHint(k) + ".");
        } else {
            tui.clearNotice();
            open(k);
        }
    }

    private void onMessage(ChatEvent.MessageReceived m) {
        Conversation k = conversations.get(m.peer());
        if (k.announced == null) {
            k.announced = m.from();
        }
        Instant t = m.time() == null ? tui.now() : m.time();
        if (!k.log.addPeer(t, Text.clean(m.from()), Text.clean(m.text()), m.id())) {
            return; // already shown from the history
        }
        if (shown().orElse(null) == k) {
            k.scroll = 0;
            tui.async(() -> tui.messenger().markRead(k.peer), () -> { });
            return;
        }
        k.unreadLocally(t);
        tui.showInfo("New message from " + k.name() + switchHint(k) + ".");
        tui.ringIfAsked();
    }

    private void onDisconnected(ChatEvent.Disconnected d) {
        Optional<Conversation> k = d.peer() == null || d.peer().isEmpty() ? Optional.empty()
                : conversations.find(d.peer());
        if (k.isPresent()) {
            Conversation c = k.get();
            String why = ConversationScreen.disconnectText(d);
            c.lost(why);
            c.log.addSystem(tui.now(), "disconnected: " + why);
            if (shown().orElse(null) != c) {
                tui.showInfo(c.name() + " disconnected: " + why);
            }
            return;
        }
        // Not about a conversation: a wait or connect that ended before it had one.
        if (tui.screen() instanceof WaitScreen || tui.screen() instanceof ConnectScreen) {
            tui.screen().onEvent(d);
        }
    }

    /** " (Alt+n)" for the first nine conversations. */
    private String switchHint(Conversation k) {
        int i = conversations.indexOf(k);
        return i >= 0 && i < 9 ? " (Alt+" + (i + 1) + ")" : " (/open " + k.name() + ")";
    }


    static String disconnectWords(ChatEvent.Disconnected d) {
        String reason = Text.clean(d.reason());
        String detail = reason.isBlank() ? "" : " (" + reason + ")";
        return switch (d.kind()) {
            case PEER_OFFLINE -> "peer offline" + detail;
            case PEER_UNREACHABLE -> "peer unreachable" + detail;
            case REFUSED -> "refused" + detail;
            case LOCAL -> "you ended the conversation";
        };
    }
}
