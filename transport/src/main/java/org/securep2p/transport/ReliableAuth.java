package org.securep2p.transport;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The two packet-authentication keys of one reliable channel, one per direction, and the tag they make:
 * HMAC-SHA-256 over the whole datagram before the tag (header included), truncated to
 * {@link ReliableWire#TAG_BYTES} bytes (docs/PROTOCOL.md 13.9). Guarantees: a tag made with the key of one
 * direction never verifies in the other (a packet cannot be reflected back to its sender), tags are compared
 * in constant time, and the key bytes this class was given are wiped once the MACs are keyed.
 *
 * <p>Not its job: replay (the channel's packet numbers and duplicate detection handle it; a tag binds the
 * packet number), deciding what to do with an untagged packet (the channel's switch-over rules), or where the
 * keys come from (TLS's exporter, in {@link TlsChannel}).
 *
 * <p>Not thread-safe: the channel uses it under its lock. HMAC needs no nonce, so nothing here can be misused
 * by a repeated packet number.
 */
final class ReliableAuth {

    /** RFC 8446 7.5 exporter label, empty context; PROTOCOL.md 8. */
    static final String EXPORTER_LABEL = "EXPORTER-securep2p/v2/reliable";
    /** 32 bytes client→server, then 32 bytes server→client. */
    static final int EXPORTER_BYTES = 64;
    static final int KEY_BYTES = 32;

    private static final String ALGORITHM = "HmacSHA256";
    private static final int HMAC_BYTES = 32;

    private final Mac sendMac;
    private final Mac receiveMac;
    private final byte[] full = new byte[HMAC_BYTES];
    private final byte[] expected = new byte[ReliableWire.TAG_BYTES];
    private final byte[] received = new byte[ReliableWire.TAG_BYTES];

    private ReliableAuth(byte[] sendKey, byte[] receiveKey) {
        this.sendMac = keyed(sendKey);
        this.receiveMac = keyed(receiveKey);
    }

    /**
     * Keys from the {@link #EXPORTER_BYTES} of TLS exporter output; {@code client} says which half is ours to
     * send with. Wipes {@code material} (and every copy made here) before returning.
     */
    static ReliableAuth fromExporter(byte[] material, boolean client) {
        Objects.requireNonNull(material, "material");
        byte[] clientToServer = Arrays.copyOfRange(material, 0, KEY_BYTES);
        byte[] serverToClient = Arrays.copyOfRange(material, KEY_BYTES, EXPORTER_BYTES);
        try {
            if (material.length != EXPORTER_BYTES) {
                throw new IllegalArgumentException("exporter output must be " + EXPORTER_BYTES + " bytes");
            }
            return client ? new ReliableAuth(clientToServer, serverToClient)
                    : new ReliableAuth(serverToClient, clientToServer);
        } finally {
            Arrays.fill(material, (byte) 0);
            Arrays.fill(clientToServer, (byte) 0);
            Arrays.fill(serverToClient, (byte) 0);
        }
    }

    /** Appends our direction's tag over {@code buf[0, len)} at {@code buf[len]}; returns the new length. */
    int tag(byte[] buf, int len) {
        mac(sendMac, buf, len);
        System.arraycopy(full, 0, buf, len, ReliableWire.TAG_BYTES);
        return len + ReliableWire.TAG_BYTES;
    }

    /** Whether the last {@link ReliableWire#TAG_BYTES} of {@code buf[0, len)} are the peer's tag over the rest. */
    boolean verify(byte[] buf, int len) {
        int covered = len - ReliableWire.TAG_BYTES;
        if (covered < 0) {
            return false;
        }
        mac(receiveMac, buf, covered);
        System.arraycopy(full, 0, expected, 0, ReliableWire.TAG_BYTES);
        System.arraycopy(buf, covered, received, 0, ReliableWire.TAG_BYTES);
        return MessageDigest.isEqual(expected, received);
    }

    @Override
    public String toString() {
        return "ReliableAuth[HMAC-SHA-256/128, two keys]";
    }

    private void mac(Mac m, byte[] buf, int len) {
        try {
            m.update(buf, 0, len);
            m.doFinal(full, 0);
        } catch (GeneralSecurityException e) {
            // full is always HMAC_BYTES long: a short buffer cannot happen.
            throw new IllegalStateException("HMAC output did not fit", e);
        }
    }

    private static Mac keyed(byte[] key) {
        try {
            Mac m = Mac.getInstance(ALGORITHM);
            // SecretKeySpec keeps its own copy for the life of the Mac (the JDK offers no way to wipe it); ours
            // is wiped by the caller.
            m.init(new SecretKeySpec(key, ALGORITHM));
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no " + ALGORITHM, e);
        }
    }
}
