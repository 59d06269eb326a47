package org.securep2p.app.tui;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.securep2p.app.AppException;
import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;
import org.securep2p.app.history.HistoryMessage;
import org.securep2p.crypto.SecurityLevel;

/** A Messenger that records every call and lets the test emit events, as the engine's threads would. */
final class FakeMessenger implements Messenger {

    static final String FINGERPRINT = "AB12 CD34 EF56 7890 1122 3344 5566 7788";
    static final String SAFETY = "123451234512345123451234512345123451234512345123451234567890";

    final List<Consumer<ChatEvent>> listeners = new CopyOnWriteArrayList<>();
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final List<String> sent = Collections.synchronizedList(new ArrayList<>());
    /** The peer argument of each send, "null" when none was given. */
    final List<String> sentTo = Collections.synchronizedList(new ArrayList<>());
    volatile List<ConversationInfo> conversations = List.of();
    final AtomicInteger nextId = new AtomicInteger(1);
    volatile ChatEvent.Endpoint waitResult = new ChatEvent.Endpoint("a1", "CODE", "203.0.113.7:40000", "full cone",
            "", false);
    volatile AppException connectFailure;
    volatile AppException sendFailure;
    volatile List<PeerInfo> peers = List.of();
    volatile boolean closed;
    volatile Optional<Integer> listeningPort = Optional.empty();

    @Override
    public Optional<Integer> listeningPort() {
        return listeningPort;
    }

    @Override
    public void addListener(Consumer<ChatEvent> listener) {
        listeners.add(listener);
    }

    void emit(ChatEvent event) {
        for (Consumer<ChatEvent> l : listeners) {
            l.accept(event);
        }
    }

    @Override
    public ChatEvent.Ready identity() {
        calls.add("identity");
        return new ChatEvent.Ready(FINGERPRINT, "alice", "keyring", "on");
    }

    volatile List<MemberInfo> members = List.of();

    @Override
    public List<MemberInfo> members() {
        calls.add("members");
        return members;
    }

    @Override
    public Opened openMember(String name) {
        calls.add("openMember " + name);
        return new Opened("a9", false);
    }

    @Override
    public void acceptRequest(String id) {
        calls.add("acceptRequest " + id);
    }

    @Override
    public void declineRequest(String id) {
        calls.add("declineRequest " + id);
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
    public ChatEvent.Endpoint discoverEndpoint() {
        calls.add("discoverEndpoint");
        return waitResult;
    }

    @Override
    public ChatEvent.Endpoint waitForPeer(SecurityLevel floor) {
        calls.add("waitForPeer " + floor);
        emit(waitResult);
        return waitResult;
    }

    @Override
    public void acceptAnswer(String attempt, String answerCode) {
        calls.add("acceptAnswer " + answerCode);
    }

    @Override
    public String connect(String codeOrAddress, SecurityLevel floor) throws AppException {
        calls.add("connect " + codeOrAddress + " " + floor);
        if (connectFailure != null) {
            throw connectFailure;
        }
        return "a" + nextId.getAndIncrement();
    }

    @Override
    public void cancel(String attempt) {
        calls.add("cancel " + attempt);
    }

    @Override
    public Opened open(String peer) {
        calls.add("open " + peer);
        return new Opened("a9", false);
    }

    @Override
    public String send(String peer, String text) throws AppException {
        calls.add("send " + text);
        sentTo.add(String.valueOf(peer));
        if (sendFailure != null) {
            throw sendFailure;
        }
        sent.add(text);
        return "m" + nextId.getAndIncrement();
    }

    @Override
    public Optional<String> safetyNumber(String peer) {
        return Optional.of(SAFETY);
    }

    @Override
    public void markVerified(String peer) {
        calls.add("markVerified " + peer);
    }

    @Override
    public List<ConversationInfo> conversations() {
        return conversations;
    }

    /**
     * The stored history per peer, oldest first, positions 1, 2, 3...: a page ends just before {@code before},
     * as the HistoryStore contract says.
     */
    final Map<String, List<HistoryMessage>> stored = new ConcurrentHashMap<>();

    /** Stores {@code count} received messages "old 1".."old N" for {@code peer}. */
    void store(String peer, int count, Instant time) {
        List<HistoryMessage> list = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            list.add(new HistoryMessage(i, "h" + i, time, HistoryMessage.Direction.RECEIVED, "old " + i,
                    HistoryMessage.Delivery.RECEIVED, Optional.empty(), true));
        }
        stored.put(peer, List.copyOf(list));
    }

    @Override
    public List<HistoryMessage> history(String peer, Optional<Long> before, int limit) {
        calls.add("history " + peer + " " + before.map(String::valueOf).orElse("newest") + " " + limit);
        List<HistoryMessage> all = stored.getOrDefault(peer, List.of());
        List<HistoryMessage> older = all.stream().filter(m -> before.isEmpty() || m.position() < before.get())
                .toList();
        return older.subList(Math.max(0, older.size() - limit), older.size());
    }

    @Override
    public void rename(String peer, String name) {
        calls.add("rename " + peer + " " + name);
    }

    @Override
    public void markRead(String peer) {
        calls.add("markRead " + peer);
    }

    @Override
    public int clearHistory(String peer) {
        calls.add("clearHistory " + peer);
        return 0;
    }

    @Override
    public List<PeerInfo> peers() {
        calls.add("peers");
        return peers;
    }

    @Override
    public void decide(String fingerprint, TrustDecision decision) {
        calls.add("decide " + fingerprint + " " + decision);
    }

    @Override
    public void disconnect(String peer) {
        calls.add("disconnect " + peer);
    }

    /** What {@code sendFile} returns. */
    static final String FILE_ID = "0123456789abcdef0123456789abcdef";
    volatile AppException fileFailure;
    volatile List<TransferInfo> transfers = List.of();

    @Override
    public String sendFile(String peer, java.nio.file.Path path) throws AppException {
        calls.add("sendFile " + peer + " " + path);
        if (fileFailure != null) {
            throw fileFailure;
        }
        return FILE_ID;
    }

    @Override
    public void acceptFile(String id) throws AppException {
        calls.add("acceptFile " + id);
        if (fileFailure != null) {
            throw fileFailure;
        }
    }

    @Override
    public void declineFile(String id) throws AppException {
        calls.add("declineFile " + id);
        if (fileFailure != null) {
            throw fileFailure;
        }
    }

    @Override
    public void cancelFile(String id) throws AppException {
        calls.add("cancelFile " + id);
        if (fileFailure != null) {
            throw fileFailure;
        }
    }

    @Override
    public List<TransferInfo> transfers() {
        calls.add("transfers");
        return transfers;
    }

    @Override
    public void close() {
        calls.add("close");
        closed = true;
    }

    boolean called(String prefix) {
        synchronized (calls) {
            return calls.stream().anyMatch(c -> c.startsWith(prefix));
        }
    }

    /**
     * A copy of the calls so far: the TUI's thread adds to the list while a test reads it, and a synchronized list
     * must be held while it is iterated (a stream over it alone threw ConcurrentModificationException).
     */
    List<String> callsSoFar() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }
}
