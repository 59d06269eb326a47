package org.securep2p.app;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.securep2p.crypto.SecurityLevel;

/**
 * Something the user should see, reported by the {@link Messenger} to both front ends (TUI and JSON). Each
 * event is an immutable value whose {@code toString()} never contains a key; message events do carry the
 * text, so front ends must not log them.
 */
public sealed interface ChatEvent {

    /** Identity loaded, key manager serving; the menu can be shown. */
    record Ready(String fingerprint, String username, String keyProtection, String memoryProtection,
            String trustModel) implements ChatEvent {
        /** How peers are trusted outside organisation mode. */
        public static final String CODES_AND_FIRST_USE = "connection codes, or trust on first use";
        /** How the trust model of organisation mode begins (then the CA's name and the member's). */
        public static final String ORGANISATION = "organisation CA";

        public Ready(String fingerprint, String username, String keyProtection, String memoryProtection) {
            this(fingerprint, username, keyProtection, memoryProtection, CODES_AND_FIRST_USE);
        }
    }

    /**
     * A stage of setting up a connection begins. {@code elapsed} is the time since the user asked for the
     * connection ({@code connect}, or {@code wait} on the waiting side), read from one monotonic clock when the
     * stage began: the events of one attempt come in stage order with elapsed times that never decrease, and a
     * stage lasts until the next event of the attempt ({@link Progress} or {@link Connected#elapsed()}).
     */
    record Progress(String attempt, Stage stage, Duration elapsed, String detail) implements ChatEvent {
    }

    /**
     * The code to share (and the plain endpoint and NAT hint) while waiting; {@code attempt} names the wait
     * ({@link Messenger#acceptAnswer}, {@link Messenger#cancel}), empty for a STUN query that is no wait.
     */
    record Endpoint(String attempt, String code, String endpoint, String nat, String natAdvice, boolean answerNeeded)
            implements ChatEvent {
    }

    /** The code the connecting side shows in case the waiter's NAT drops its checks. */
    record AnswerCode(String attempt, String code) implements ChatEvent {
    }

    /**
     * A verified end-to-end session is up (new or resumed), {@code elapsed} after the user asked for it: the end
     * of the last {@link Progress} stage, on the same clock. {@code peer} is the peer's fingerprint (the
     * conversation from now on), {@code attempt} the wait or connect it came from, {@code name} the name shown.
     */
    record Connected(String peer, String attempt, String name, String safetyNumber, SecurityLevel level,
            String path, TrustMode trust, boolean resumed, boolean verified, Optional<String> certifiedName,
            String keyExchange, Duration elapsed) implements ChatEvent {
        /** Without a certified name (no organisation CA), the TLS key exchange's name or a set-up time. */
        public Connected(String peer, String attempt, String name, String safetyNumber, SecurityLevel level,
                String path, TrustMode trust, boolean resumed, boolean verified) {
            this(peer, attempt, name, safetyNumber, level, path, trust, resumed, verified, Optional.empty(), "",
                    Duration.ZERO);
        }
    }

    /** A message from the peer, shown once; {@code peer} is the conversation (fingerprint), {@code from} a name. */
    record MessageReceived(String peer, String from, String text, String id, Instant time) implements ChatEvent {
        /** Without the text: a message is plaintext and must not reach a log through {@code toString()}. */
        @Override
        public String toString() {
            return "MessageReceived[id=" + id + ", " + text.length() + " chars]";
        }
    }

    /** A message that this side sent has been acknowledged end to end. */
    record Delivered(String peer, String id) implements ChatEvent {
    }

    /**
     * A message for a contact who is not connected has been committed by the contact's relay (PROTOCOL.md §22.6):
     * it waits there to be picked up; {@link Delivered} follows when the contact's device has it.
     */
    record Relayed(String peer, String id) implements ChatEvent {
    }

    /** A message that will not be delivered, with the reason in words. */
    record SendFailed(String peer, String id, String reason) implements ChatEvent {
    }

    /**
     * A known peer now presents another identity: that set-up waits until the user decides. {@code peer} is the
     * new identity's fingerprint (what {@link Messenger#decide} takes), {@code name} the name it presented.
     */
    record PeerChanged(String peer, String name, String oldFingerprint, String newFingerprint, String explanation)
            implements ChatEvent {
    }

    /**
     * Somebody who is no contact connected to the fixed port while no wait was open (PROTOCOL.md §20.8): the
     * set-up waits until the user answers {@link Messenger#decide} for {@code peer} with
     * {@link Messenger.TrustDecision#ACCEPT_ONCE}, {@code ACCEPT} (and trust), {@code VERIFY} or {@code REFUSE}.
     * {@code name} is what the peer announced (unchecked, shown escaped), {@code address} where it came from.
     */
    record StrangerAsks(String peer, String name, String address, SecurityLevel level) implements ChatEvent {
    }

    /** The connection ended; {@code kind} keeps peer offline, unreachable and refused apart. */
    record Disconnected(String peer, DisconnectKind kind, String reason, int undelivered) implements ChatEvent {
    }

    /** Something the user should know that is not about the conversation (the key manager restarted...). */
    record Notice(String text) implements ChatEvent {
    }

    /**
     * A member of the organisation asks to talk (PROTOCOL.md §23.4): its certificate, payload, freshness, block list
     * and code were checked. {@code id} names it for {@link Messenger#acceptRequest} / {@link
     * Messenger#declineRequest}; {@code name} is the certified name, {@code level} the level its code asks for.
     */
    record ChatRequest(String id, String name, String fingerprint, SecurityLevel level) implements ChatEvent {
    }

    /**
     * The peer offers a file (PROTOCOL.md §24.5): {@code name} is the peer's, shown escaped; the user answers
     * with {@link Messenger#acceptFile} or {@link Messenger#declineFile} ({@code autoAccepted} when
     * {@code files.auto_accept_mb} took it already).
     */
    record FileOffered(String peer, String id, String name, long size, String mediaType, boolean autoAccepted)
            implements ChatEvent {
    }

    /** Progress of a transfer, at most 4 a second per transfer and once at its end; {@code rate} in bytes/s. */
    record FileProgress(String peer, String id, long bytes, long total, long rate) implements ChatEvent {
    }

    /** A transfer ended verified: the receiver's {@code path} is the final file, the sender's the file it sent. */
    record FileDone(String peer, String id, String path, String sha256) implements ChatEvent {
    }

    /** A transfer ended without the file: cancelled, declined, refused, or failed; the reason is a sentence. */
    record FileFailed(String peer, String id, String reason) implements ChatEvent {
    }

    /** Something the user asked for failed; the reason is a sentence; {@code attempt} is "" when not about one. */
    record Failure(String attempt, String reason) implements ChatEvent {
    }

    /**
     * The conversation list changed (a name, an unread count, a connection state, a new conversation): front
     * ends read {@link Messenger#conversations()} again.
     */
    record ConversationsChanged() implements ChatEvent {
    }

    /**
     * Stages of connection set-up, in order: gathering candidates (asking the STUN/TURN servers), ICE
     * connectivity checks (or waiting for the peer's), the TLS 1.3 handshake on the selected path, the HELLO
     * exchange and trust decision, then either the hybrid handshake of a new session or the resumption of the
     * stored one, and the mutual confirmation that binds the session to the connection.
     */
    enum Stage {
        STUN, ICE, TLS, HELLO, HANDSHAKE, RESUME, CONFIRM
    }

    /** How the peer's identity was established. */
    enum TrustMode {
        CODE_VERIFIED("code-verified"), TRUST_ON_FIRST_USE("trust-on-first-use"), KNOWN("previously trusted"),
        VERIFIED("safety number verified"), CA_VERIFIED("CA-verified"),
        /** A stranger the user let in for this conversation only (§20.8): not in the trust store. */
        ACCEPTED_ONCE("accepted once, not trusted");

        private final String label;

        TrustMode(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Why a conversation is not live, in the user's terms. */
    enum DisconnectKind {
        /** The peer closed the connection or stopped answering: it is offline. */
        PEER_OFFLINE,
        /** No path to the peer (NAT, firewall): the reason carries the diagnosis. */
        PEER_UNREACHABLE,
        /** This side refused the peer (identity, level, protocol). */
        REFUSED,
        /** The user ended it. */
        LOCAL
    }
}
