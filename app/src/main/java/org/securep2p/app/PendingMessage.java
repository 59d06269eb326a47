package org.securep2p.app;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One message that was encrypted by the ratchet but not yet acknowledged by the peer: its id (32 lower-case
 * hex digits), the session it belongs to, the wire bytes to send again (opaque ratchet ciphertext) and when it
 * was made. Immutable; bytes are copied in and out. {@code toString()} shows the id, session and length only.
 *
 * <p>Not its job: retry policy or acknowledgement matching (the app), or storage ({@link Outbox}).
 */
final class PendingMessage {

    static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
    static final int ID_BYTES = 16;
    /** Larger than any ratchet message (1 MiB of plaintext, header with ML-KEM key and ciphertext, tag). */
    static final int MAX_WIRE_BYTES = 2 << 20;
    /** PROTOCOL.md section 1: a u64 time is at most 9999-12-31T23:59:59Z. */
    static final long MAX_EPOCH_SECOND = 253402300799L;

    private final String id;
    private final String sessionId;
    private final byte[] wire;
    private final Instant created;

    private PendingMessage(String id, String sessionId, byte[] wire, Instant created) {
        this.id = id;
        this.sessionId = sessionId;
        this.wire = wire;
        this.created = created;
    }

    /**
     * Checks every field: {@code id} must match {@link #ID}, {@code sessionId} the session store's rule, the
     * wire bytes 1 to {@link #MAX_WIRE_BYTES}, {@code created} between 1970 and 9999. {@code wire} is copied.
     */
    static PendingMessage of(String id, String sessionId, byte[] wire, Instant created) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("message id must be 32 lower-case hex digits");
        }
        if (!FileSessionStore.isValidSessionId(sessionId)) {
            throw new IllegalArgumentException("session id must match " + FileSessionStore.SESSION_ID.pattern());
        }
        Objects.requireNonNull(wire, "wire");
        if (wire.length == 0 || wire.length > MAX_WIRE_BYTES) {
            throw new IllegalArgumentException("wire message of " + wire.length + " bytes outside [1, "
                    + MAX_WIRE_BYTES + "]");
        }
        Objects.requireNonNull(created, "created");
        if (created.getEpochSecond() < 0 || created.getEpochSecond() > MAX_EPOCH_SECOND) {
            throw new IllegalArgumentException("created time outside 1970..9999");
        }
        return new PendingMessage(id, sessionId, wire.clone(), created);
    }

    /** A fresh random id: 128 bits, so ids never collide in practice. */
    static String newId(SecureRandom random) {
        byte[] b = new byte[ID_BYTES];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    String id() {
        return id;
    }

    String sessionId() {
        return sessionId;
    }

    /** A copy of the wire bytes. */
    byte[] wire() {
        return wire.clone();
    }

    int wireLength() {
        return wire.length;
    }

    Instant created() {
        return created;
    }

    /** For {@link Outbox}'s encoder, which must not copy every message once more. */
    byte[] wireUnsafe() {
        return wire;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PendingMessage m && id.equals(m.id) && sessionId.equals(m.sessionId)
                && created.equals(m.created) && MessageDigest.isEqual(wire, m.wire);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "PendingMessage[" + id + ", session " + sessionId + ", " + wire.length + " bytes, " + created + "]";
    }
}
