package org.securep2p.app.headless;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.securep2p.app.AppException;
import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;
import org.securep2p.crypto.SecurityLevel;

/** A Messenger that records calls and lets a test emit events or make the next call fail. */
final class RecordingMessenger implements Messenger {

    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<Consumer<ChatEvent>> listeners = new CopyOnWriteArrayList<>();
    volatile AppException failNext;

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
        return new ChatEvent.Endpoint("", "203.0.113.7:4000", "ENDPOINT_INDEPENDENT", "direct likely", false);
    }

    @Override
    public ChatEvent.Endpoint waitForPeer(SecurityLevel floor) throws AppException {
        calls.add("wait " + floor);
        maybeFail();
        return new ChatEvent.Endpoint("sp2p1o-CODE", "203.0.113.7:4000", "ONE_CODE", "one code", false);
    }

    @Override
    public void acceptAnswer(String answerCode) throws AppException {
        calls.add("accept_answer " + answerCode);
        maybeFail();
    }

    @Override
    public void connect(String codeOrAddress, SecurityLevel floor) throws AppException {
        calls.add("connect " + codeOrAddress + " " + floor);
        maybeFail();
    }

    @Override
    public String send(String text) throws AppException {
        calls.add("send " + text);
        maybeFail();
        return "00112233445566778899aabbccddeeff";
    }

    @Override
    public Optional<String> safetyNumber() {
        return Optional.of("1".repeat(60));
    }

    @Override
    public void markVerified() throws AppException {
        calls.add("markVerified");
        maybeFail();
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
    public void disconnect() {
        calls.add("disconnect");
    }

    @Override
    public void close() {
        calls.add("close");
    }
}
