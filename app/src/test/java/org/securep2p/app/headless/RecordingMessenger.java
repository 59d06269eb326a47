package org.securep2p.app.headless;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.securep2p.app.AppException;
import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;
import org.securep2p.app.history.HistoryMessage;
import org.securep2p.crypto.SecurityLevel;

/** A Messenger that records calls and lets a test emit events or make the next call fail. */
final class RecordingMessenger implements Messenger {

    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<Consumer<ChatEvent>> listeners = new CopyOnWriteArrayList<>();
    volatile AppException failNext;
    /** One connected conversation by default, so calls that may omit the peer have one. */
    volatile List<ConversationInfo> conversations = List.of(new ConversationInfo("CCCC", "bob", true, 0,
            Optional.empty(), "connected"));
    volatile List<HistoryMessage> history = List.of();

    void emit(ChatEvent e) {
        listeners.forEach(l -> l.accept(e));
    }

    private void maybeFail() throws AppException {
        AppException e = failNext;
        failNext = null;
        if (e != null) {
            throw e;
        }
    }

    @Override
    public void addListener(Consumer<ChatEvent> listener) {
        listeners.add(listener);
    }

    @Override
    public ChatEvent.Ready identity() {
        return new ChatEvent.Ready("AAAA BBBB", "alice", "OS keyring", "memory locked");
    }

    @Override
    public ChatEvent.Endpoint discoverEndpoint() throws AppException {
        calls.add("stun");
        maybeFail();
        return new ChatEvent.Endpoint("", "", "203.0.113.7:4000", "ENDPOINT_INDEPENDENT", "direct likely", false);
    }

    @Override
    public ChatEvent.Endpoint waitForPeer(SecurityLevel floor) throws AppException {
        calls.add("wait " + floor);
        maybeFail();
        return new ChatEvent.Endpoint("a1", "sp2p1o-CODE", "203.0.113.7:4000", "ONE_CODE", "one code", false);
    }

    @Override
    public void acceptAnswer(String attempt, String answerCode) throws AppException {
        calls.add("accept_answer " + attempt + " " + answerCode);
        maybeFail();
    }

    @Override
    public String connect(String codeOrAddress, SecurityLevel floor) throws AppException {
        calls.add("connect " + codeOrAddress + " " + floor);
        maybeFail();
        return "a2";
    }

    @Override
    public void cancel(String attempt) {
        calls.add("cancel " + attempt);
    }

    @Override
    public List<MemberInfo> members() {
        calls.add("members");
        return List.of(new MemberInfo("Control-Bravo", "BBBB", true, false, false),
                new MemberInfo("Control-Charlie", "CCCC", false, true, true));
    }

    @Override
    public Opened openMember(String name) {
        calls.add("openMember " + name);
        return new Opened("a10", false);
    }

    @Override
    public void acceptRequest(String id) {
        calls.add("accept_request " + id);
    }

    @Override
    public void declineRequest(String id) {
        calls.add("decline_request " + id);
    }

    @Override
    public void block(String name) {
        calls.add("block " + name);
    }

    @Override
    public boolean unblock(String name) {
        calls.add("unblock " + name);
        return true;
    }

    @Override
    public Opened open(String peer) {
        calls.add("open " + peer);
        return new Opened("connected".equals(peer) ? "" : "a9", "connected".equals(peer));
    }

    @Override
    public String send(String peer, String text) throws AppException {
        calls.add("send " + peer + " " + text);
        maybeFail();
        return "00112233445566778899aabbccddeeff";
    }

    @Override
    public Optional<String> safetyNumber(String peer) {
        // As DefaultMessenger: no safety number for a peer that names no contact.
        return "nobody".equals(peer) ? Optional.empty() : Optional.of("1".repeat(60));
    }

    @Override
    public void markVerified(String peer) throws AppException {
        calls.add("markVerified " + peer);
        maybeFail();
    }

    @Override
    public List<ConversationInfo> conversations() {
        return conversations;
    }

    @Override
    public List<HistoryMessage> history(String peer, Optional<Long> before, int limit) throws AppException {
        calls.add("history " + peer + " " + before.map(String::valueOf).orElse("-") + " " + limit);
        maybeFail();
        return history;
    }

    @Override
    public void rename(String peer, String name) throws AppException {
        calls.add("rename " + peer + " " + name);
        maybeFail();
    }

    @Override
    public void markRead(String peer) throws AppException {
        calls.add("mark_read " + peer);
        maybeFail();
    }

    @Override
    public int clearHistory(String peer) throws AppException {
        calls.add("clear_history " + peer);
        maybeFail();
        return 3;
    }

    @Override
    public List<PeerInfo> peers() {
        return new ArrayList<>(List.of(new PeerInfo("CCCC DDDD", List.of("bob"), "2026-01-01T00:00:00Z",
                "2026-01-02T00:00:00Z", "", true, "CODE")));
    }

    @Override
    public void decide(String fingerprint, TrustDecision decision) throws AppException {
        calls.add("decide " + fingerprint + " " + decision);
        maybeFail();
    }

    @Override
    public void disconnect(String peer) {
        calls.add("disconnect " + peer);
    }

    static final String FILE_ID = "0123456789abcdef0123456789abcdef";

    volatile List<TransferInfo> transfers = List.of();

    @Override
    public String sendFile(String peer, java.nio.file.Path path) throws AppException {
        calls.add("sendFile " + peer + " " + path);
        maybeFail();
        return FILE_ID;
    }

    @Override
    public void acceptFile(String id) throws AppException {
        calls.add("acceptFile " + id);
        maybeFail();
    }

    @Override
    public void declineFile(String id) throws AppException {
        calls.add("declineFile " + id);
        maybeFail();
    }

    @Override
    public void cancelFile(String id) throws AppException {
        calls.add("cancelFile " + id);
        maybeFail();
    }

    @Override
    public List<TransferInfo> transfers() {
        calls.add("transfers");
        return transfers;
    }

    @Override
    public void close() {
        calls.add("close");
    }
}
