package org.securep2p.transport;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * One side's ICE username fragment and password (RFC 8445 section 5.3), kept as the random bytes a connection
 * code carries. {@link #ufrag()} and {@link #password()} are their standard Base64 forms (8 and 24 characters,
 * no padding), which use only ICE characters ({@code ALPHA / DIGIT / "+" / "/"}) and meet RFC 8445's
 * randomness floors: 48 bits for the ufrag (at least 24 required), 144 bits for the password (at least 128).
 *
 * <p>The password authenticates the connectivity checks only; the peer's identity is pinned by the
 * fingerprint in the TLS handshake, not by this. It travels in clear inside a connection code, and ice4j
 * takes it as a String, so it is not wiped here; {@link #toString()} still never shows it.
 */
public final class IceCredentials {

    /** Random bytes of the ufrag: 48 bits, a whole number of Base64 groups (8 characters, no padding). */
    static final int UFRAG_BYTES = 6;
    /** Random bytes of the password: 144 bits, above RFC 8445's 128, and 24 characters without padding. */
    static final int PASSWORD_BYTES = 18;

    private final byte[] ufrag;
    private final byte[] password;

    private IceCredentials(byte[] ufrag, byte[] password) {
        this.ufrag = ufrag;
        this.password = password;
    }

    /** Fresh credentials for one connection attempt; never reuse them for another. */
    public static IceCredentials generate(SecureRandom random) {
        Objects.requireNonNull(random, "random");
        byte[] u = new byte[UFRAG_BYTES];
        byte[] p = new byte[PASSWORD_BYTES];
        random.nextBytes(u);
        random.nextBytes(p);
        return new IceCredentials(u, p);
    }

    /** Label of {@link #derivedForConnector}: namespaced so the derived bytes serve no other purpose. */
    static final String CONNECTOR_LABEL = "securep2p/v1/ice/connector-credentials";

    /**
     * The connector's credentials for the waiter's {@code offer}: HKDF-SHA-256 of the offer's password with a
     * fixed label (PROTOCOL.md 11). A waiter that never sees an answer code still knows them, so it can answer
     * the connector's first checks and learn its address from them. They protect no more than the offer's own
     * credentials, which whoever holds the code knows anyway; the TLS pin is what authenticates.
     */
    public static IceCredentials derivedForConnector(IceCredentials offer) {
        byte[] salt = offer.ufrag.clone();
        try (org.securep2p.crypto.SecretBytes okm = org.securep2p.crypto.Hkdf.derive(
                org.securep2p.crypto.HashFunction.SHA_256, offer.password, salt,
                CONNECTOR_LABEL.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                UFRAG_BYTES + PASSWORD_BYTES)) {
            byte[] bytes = okm.copyBytes();
            IceCredentials derived = new IceCredentials(Arrays.copyOfRange(bytes, 0, UFRAG_BYTES),
                    Arrays.copyOfRange(bytes, UFRAG_BYTES, UFRAG_BYTES + PASSWORD_BYTES));
            Arrays.fill(bytes, (byte) 0);
            return derived;
        } catch (org.securep2p.crypto.CryptoException e) {
            // 24 bytes of HKDF-SHA-256 is always within RFC 5869's limits.
            throw new IllegalStateException("HKDF refused a fixed, valid length", e);
        }
    }

    /** Label of {@link #reliableConnectionId}. */
    static final String CONNECTION_ID_LABEL = "securep2p/v1/reliable/connection-id";

    /**
     * The reliable channel's connection id for the connection these (the offer's) credentials start: both
     * sides know it from the code alone, and an off-path sender who never saw the code cannot guess it
     * (PROTOCOL.md 13, 14). It filters stray datagrams; it authenticates nothing.
     */
    int reliableConnectionId() {
        try (org.securep2p.crypto.SecretBytes okm = org.securep2p.crypto.Hkdf.derive(
                org.securep2p.crypto.HashFunction.SHA_256, password, ufrag.clone(),
                CONNECTION_ID_LABEL.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 4)) {
            byte[] b = okm.copyBytes();
            return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        } catch (org.securep2p.crypto.CryptoException e) {
            throw new IllegalStateException("HKDF refused a fixed, valid length", e);
        }
    }

    /** Credentials decoded from a code; the lengths are the caller's fixed-width reads. */
    static IceCredentials fromBytes(byte[] ufrag, byte[] password) {
        if (ufrag.length != UFRAG_BYTES || password.length != PASSWORD_BYTES) {
            throw new IllegalArgumentException("ufrag must be 6 bytes and password 18 bytes");
        }
        return new IceCredentials(ufrag.clone(), password.clone());
    }

    /** The ICE username fragment: 8 Base64 characters. */
    public String ufrag() {
        return Base64.getEncoder().encodeToString(ufrag);
    }

    /** The ICE password: 24 Base64 characters. */
    public String password() {
        return Base64.getEncoder().encodeToString(password);
    }

    byte[] ufragBytes() {
        return ufrag.clone();
    }

    byte[] passwordBytes() {
        return password.clone();
    }

    @Override
    @SuppressWarnings("ShortCircuitBoolean") // & on purpose: both compare, so timing tells not which one differs
    public boolean equals(Object o) {
        if (!(o instanceof IceCredentials c)) {
            return false;
        }
        return MessageDigest.isEqual(ufrag, c.ufrag) & MessageDigest.isEqual(password, c.password);
    }

    /** From the ufrag only, so that the hash says nothing about the password. */
    @Override
    public int hashCode() {
        return Arrays.hashCode(ufrag);
    }

    /** The ufrag (it is sent in clear in every STUN check anyway); never the password. */
    @Override
    public String toString() {
        return "IceCredentials[ufrag=" + ufrag() + ", password=(hidden)]";
    }
}
