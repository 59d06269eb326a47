package org.securep2p.ratchet;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.MlKem1024KeyPair;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.X25519KeyPair;

/**
 * One session's complete ratchet state, as stored: created from a {@link HandshakeResult}, advanced only by
 * {@link SessionCipher}, and persisted through {@link #encode()} / {@link #decode(byte[])} (a versioned, strict
 * binary encoding; a damaged record fails with {@code CORRUPT_STATE}). A record is immutable once stored:
 * the cipher works on a copy and stores a new record; the one it replaces is wiped, so do not keep records
 * loaded from a store beyond one operation. {@link #close()} wipes every key.
 *
 * <p>Not its job: storage ({@link SessionStore}) or deciding whom the session is with (the app).
 */
public final class SessionRecord implements AutoCloseable {

    final SessionState state;

    SessionRecord(SessionState state) {
        this.state = state;
    }

    /**
     * The initiator's session after {@code handshake}. At ENHANCED and above the responder can send only
     * after it has received one ratchet message from the initiator, so the initiator's first ratchet message
     * should travel as the handshake's first payload.
     */
    public static SessionRecord initiator(HandshakeResult handshake, SecureRandom random) throws RatchetException {
        return create(handshake, true, random);
    }

    /** The responder's session after {@code handshake}. */
    public static SessionRecord responder(HandshakeResult handshake, SecureRandom random) throws RatchetException {
        return create(handshake, false, random);
    }

    private static SessionRecord create(HandshakeResult handshake, boolean initiator, SecureRandom random)
            throws RatchetException {
        Objects.requireNonNull(handshake, "handshake");
        Objects.requireNonNull(random, "random");
        SecurityLevel level = handshake.level();
        SessionState s = new SessionState(level, initiator, handshake.transcriptHash());
        try {
            if (!s.headerEncrypted()) {
                Kdf.SymmetricStart k = Kdf.initialSymmetric(level, handshake.sessionSecret(), s.associatedData);
                s.sendChainKey = initiator ? k.initiatorChain() : k.responderChain();
                s.recvChainKey = initiator ? k.responderChain() : k.initiatorChain();
                return new SessionRecord(s);
            }
            Kdf.DoubleStart k = Kdf.initialDouble(level, handshake.sessionSecret(), s.associatedData);
            s.rootKey = k.root();
            if (initiator) {
                s.sendChainKey = k.initiatorChain();
                s.sendHeaderKey = k.initiatorHeader();
                s.nextSendHeaderKey = k.initiatorNextHeader();
                s.nextRecvHeaderKey = k.responderNextHeader();
                s.dhSelf = X25519KeyPair.generate(random);
            } else {
                s.recvChainKey = k.initiatorChain();
                s.recvHeaderKey = k.initiatorHeader();
                s.nextRecvHeaderKey = k.initiatorNextHeader();
                s.nextSendHeaderKey = k.responderNextHeader();
            }
            if (s.kemSteps()) {
                // Each side starts with a KEM key pair; the initiator advertises its public key in its first
                // chain, the responder in the chain of its first KEM step.
                s.kemSelf = MlKem1024KeyPair.generate(random);
                s.sendKemPublicKey = initiator;
            }
            s.checkConsistent();
            return new SessionRecord(s);
        } catch (CryptoException e) {
            throw new RatchetException(RatchetException.Reason.CORRUPT_STATE, "cannot start session: " + e.getMessage(),
                    e);
        }
    }

    public SecurityLevel level() {
        return state.level;
    }

    /** The versioned record encoding. It contains every key of the session: store it encrypted. */
    public byte[] encode() {
        return state.encode();
    }

    /**
     * The record {@code encoded} holds; {@code CORRUPT_STATE} if it is damaged or contradicts its level or
     * itself (docs/PROTOCOL.md 10.7). The time of the last KEM step is checked against the system clock.
     */
    public static SessionRecord decode(byte[] encoded) throws RatchetException {
        return decode(encoded, Clock.systemUTC());
    }

    /** As {@link #decode(byte[])}, with the time of the last KEM step checked against {@code clock}. */
    public static SessionRecord decode(byte[] encoded, Clock clock) throws RatchetException {
        return new SessionRecord(SessionState.decode(Objects.requireNonNull(encoded, "encoded"),
                Objects.requireNonNull(clock, "clock")));
    }

    /** Wipes every key of this record. */
    @Override
    public void close() {
        state.wipeAll();
    }

    @Override
    public String toString() {
        return "SessionRecord[" + state.level + (state.initiator ? ", initiator" : ", responder") + ", sent "
                + state.sendN + ", received " + state.recvN + "]";
    }

    /** For the clock-driven part of the KEM policy. */
    static long now(Clock clock) {
        return clock.instant().getEpochSecond();
    }
}
