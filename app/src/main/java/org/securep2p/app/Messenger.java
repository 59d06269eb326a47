package org.securep2p.app;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import org.securep2p.crypto.SecurityLevel;

/**
 * The chat engine both front ends drive: one identity (held by the key-manager process), one conversation at
 * a time, every outcome reported as a {@link ChatEvent}.
 *
 * <p>Guarantees: a message accepted by {@link #send} is stored encrypted (ratchet ciphertext) before the call
 * returns and is retried after a reconnect or a restart until the peer acknowledges it; a peer whose identity
 * changed cannot receive anything until the user has decided; the level never drops below the user's floor.
 *
 * <p>Not its job: drawing or parsing user input.
 */
public interface Messenger extends AutoCloseable {

    /** Adds a listener; events arrive on the engine's threads, in order. */
    void addListener(Consumer<ChatEvent> listener);

    /** This side's fingerprint, username and key protection. */
    ChatEvent.Ready identity();

    /** Asks the STUN servers again (blocking, bounded by the STUN timeout). */
    ChatEvent.Endpoint discoverEndpoint() throws AppException;

    /** Gathers candidates and waits for a peer in the background; the code comes back and as an event. */
    ChatEvent.Endpoint waitForPeer(SecurityLevel floor) throws AppException;

    /** Adds the connecting side's answer code to a running wait. */
    void acceptAnswer(String answerCode) throws AppException;

    /** Connects to a code or a bare {@code host:port} in the background; progress and outcome as events. */
    void connect(String codeOrAddress, SecurityLevel floor) throws AppException;

    /** Encrypts, stores and sends (or queues) a message; returns its id. */
    String send(String text) throws AppException;

    /** The current peer's safety number (60 digits), if a conversation is open. */
    Optional<String> safetyNumber();

    /** Marks the current peer verified after the user compared the safety number. */
    void markVerified() throws AppException;

    /** Every peer in the trust store. */
    List<PeerInfo> peers();

    /** The user's answer to a {@link ChatEvent.PeerChanged} or a trust-store edit. */
    void decide(String fingerprint, TrustDecision decision) throws AppException;

    /** Ends the conversation and the connection; queued messages stay queued. */
    void disconnect();

    @Override
    void close();

    /** What the user decides about a peer's identity. */
    enum TrustDecision {
        /** Accept the new identity (unverified). */
        ACCEPT,
        /** Refuse it now and in future. */
        REJECT,
        /** The user compared the safety number: accept and mark verified. */
        VERIFY,
        /** Forget the peer. */
        UNTRUST
    }

    /** A trust-store entry as the front ends show it. */
    record PeerInfo(String fingerprint, List<String> names, String firstSeen, String lastSeen, String lastAddress,
            boolean verified, String origin) {
    }
}
