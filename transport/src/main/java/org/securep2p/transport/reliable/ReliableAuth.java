package org.securep2p.transport.reliable;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The two packet-authentication keys of one reliable channel, one per direction, and the tag they make: GMAC,
 * i.e. the JDK's AES-256-GCM with an empty plaintext and the whole datagram before the tag (header included) as
 * associated data, a {@link ReliableWire#TAG_BYTES}-byte tag (docs/PROTOCOL.md 13.9). Guarantees: a tag made
 * with the key of one direction never verifies in the other (a packet cannot be reflected back to its
 * sender); the nonce is never a parameter: it is the packet number read from the header, which the sender
 * never reuses, and the JDK refuses to encrypt twice under one key and nonce, so a reuse would fail loudly
 * rather than weaken the key; the tag check is the JDK's constant-time one; the key bytes this class was given
 * are wiped once the ciphers are keyed.
 *
 * <p>Not its job: replay (the channel's packet numbers and duplicate detection handle it; the tag binds the
 * packet number), deciding what to do with an untagged packet (the channel's switch-over rules), or where the
 * keys come from (TLS's exporter, through {@code tls.TlsHandshakePolicy} and {@code tls.TlsChannel}).
 *
 * <p>Not thread-safe: the channel uses it under its lock.
 */
public final class ReliableAuth {

    /** RFC 8446 7.5 exporter label, empty context; PROTOCOL.md 8. */
    public static final String EXPORTER_LABEL = "EXPORTER-securep2p/v2/reliable";
    /** 32 bytes client→server, then 32 bytes server→client. */
    public static final int EXPORTER_BYTES = 64;
    static final int KEY_BYTES = 32;
    /** GCM's 96-bit nonce: four zero bytes, then the packet number (u64, below 2^62). */
    static final int NONCE_BYTES = 12;

    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int PACKET_NUMBER_AT = 6;

    private final SecretKeySpec sendKey;
    private final SecretKeySpec receiveKey;
    private final Cipher sender;
    private final Cipher verifier;
    private final byte[] nonce = new byte[NONCE_BYTES];
    private final byte[] nothing = new byte[0];

    private ReliableAuth(byte[] sendKey, byte[] receiveKey) {
        // SecretKeySpec keeps its own copy for the connection's life (the JDK offers no way to wipe it); ours is
        // wiped by the caller.
        this.sendKey = new SecretKeySpec(sendKey, "AES");
        this.receiveKey = new SecretKeySpec(receiveKey, "AES");
        try {
            this.sender = Cipher.getInstance(TRANSFORMATION);
            this.verifier = Cipher.getInstance(TRANSFORMATION);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no " + TRANSFORMATION, e);
        }
    }

    /**
     * Keys from the {@link #EXPORTER_BYTES} of TLS exporter output; {@code client} says which half is ours to
     * send with. Wipes {@code material} (and every copy made here) before returning.
     */
    public static ReliableAuth fromExporter(byte[] material, boolean client) {
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

    /**
     * Appends our direction's tag over {@code buf[0, len)} (a packet whose header is written) at
     * {@code buf[len]}; returns the new length.
     */
    int tag(byte[] buf, int len) {
        try {
            sender.init(Cipher.ENCRYPT_MODE, sendKey, nonceOf(buf));
            sender.updateAAD(buf, 0, len);
            return len + sender.doFinal(nothing, 0, 0, buf, len);
        } catch (GeneralSecurityException e) {
            // Only a reused packet number (a bug: they never repeat) or a JDK without GCM gets here.
            throw new IllegalStateException("reliable channel: cannot tag a packet: " + e.getClass().getSimpleName(),
                    e);
        }
    }

    /** Whether the last {@link ReliableWire#TAG_BYTES} of {@code buf[0, len)} are the peer's tag over the rest. */
    boolean verify(byte[] buf, int len) {
        int covered = len - ReliableWire.TAG_BYTES;
        if (covered < ReliableWire.HEADER_BYTES) {
            return false;
        }
        try {
            verifier.init(Cipher.DECRYPT_MODE, receiveKey, nonceOf(buf));
            verifier.updateAAD(buf, 0, covered);
            // The "ciphertext" is the tag alone; the JDK compares it in constant time and yields no plaintext.
            return verifier.doFinal(buf, covered, ReliableWire.TAG_BYTES, nothing, 0) == 0;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("reliable channel: cannot check a tag: " + e.getClass().getSimpleName(),
                    e);
        }
    }

    @Override
    public String toString() {
        return "ReliableAuth[GMAC AES-256-GCM, two keys]";
    }

    private GCMParameterSpec nonceOf(byte[] packet) {
        System.arraycopy(packet, PACKET_NUMBER_AT, nonce, NONCE_BYTES - 8, 8);
        return new GCMParameterSpec(ReliableWire.TAG_BYTES * 8, nonce);
    }
}
