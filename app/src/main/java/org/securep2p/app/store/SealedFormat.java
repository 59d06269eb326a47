package org.securep2p.app.store;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

import org.securep2p.crypto.Aead;
import org.securep2p.crypto.AeadAlgorithm;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictWriter;

import static org.securep2p.app.store.StoreException.Reason.CORRUPT;
import static org.securep2p.app.store.StoreException.Reason.UNKNOWN_VERSION;

/**
 * The sealed layout of the app's secret files (sessions, outbox): {@code "SPAS" || version(1) || nonce(12) ||
 * ChaCha20-Poly1305(plaintext) || tag(16)} under the 32-byte storage key. The associated data binds the label,
 * the header, the file's role and its context (a session id), so a file moved into another role's or another
 * session's place fails to open. Parsing is strict: a short or foreign file is {@code CORRUPT}, another
 * version {@code UNKNOWN_VERSION}, and any changed byte, a wrong key, role or context is {@code CORRUPT}.
 *
 * <p>Nonces are random (core-crypto's {@link Aead#withRandomNonces}, a fresh {@code Aead} per write): the app
 * writes far fewer than the 2^32 files per key that random 96-bit nonces allow. Not its job: file I/O
 * ({@link AtomicFile}) or what the plaintext means.
 */
public final class SealedFormat {

    static final byte[] MAGIC = {'S', 'P', 'A', 'S'};
    static final int VERSION = 1;
    static final int HEADER_LENGTH = MAGIC.length + 1;
    static final int NONCE_LENGTH = 12;
    static final int TAG_LENGTH = 16;
    static final int KEY_LENGTH = 32;
    /** The smallest well-formed file: header, nonce and tag around an empty plaintext. */
    public static final int OVERHEAD = HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH;

    static final String AD_LABEL = "securep2p/v1/app/sealed-file";
    /** Roles are fixed ASCII names, documented in PROTOCOL.md section 19; never user data. */
    private static final Pattern ROLE = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    /** Contexts are session ids or empty; {@link FileSessionStore#SESSION_ID} is the stricter rule. */
    private static final Pattern CONTEXT = Pattern.compile("[A-Za-z0-9_-]{0,64}");
    private static final AeadAlgorithm ALGORITHM = AeadAlgorithm.CHACHA20_POLY1305;

    private SealedFormat() {
    }

    /** A private copy of a storage key, checked for length; the caller keeps (and closes) its own. */
    public static SecretBytes copyKey(SecretBytes storageKey) {
        Objects.requireNonNull(storageKey, "storageKey");
        if (storageKey.length() != KEY_LENGTH) {
            throw new IllegalArgumentException("storage key must be 32 bytes, got " + storageKey.length());
        }
        byte[] copy = storageKey.copyBytes();
        try {
            return SecretBytes.copyOf(copy);
        } finally {
            Arrays.fill(copy, (byte) 0);
        }
    }

    public static byte[] seal(String role, String context, byte[] plaintext, SecretBytes key, SecureRandom random) {
        Objects.requireNonNull(plaintext, "plaintext");
        byte[] header = header(VERSION);
        try (Aead aead = Aead.withRandomNonces(ALGORITHM, key, random)) {
            byte[] sealed = aead.encrypt(plaintext, associatedData(header, role, context));
            return new StrictWriter().bytes(header).bytes(sealed).toByteArray();
        } catch (CryptoException e) {
            // Only a wrong key length gets here, and copyKey refuses that first: a programming error.
            throw new IllegalArgumentException("storage key rejected: " + e.reason(), e);
        }
    }

    /** The plaintext of {@code file}, whose name {@code what} is used in errors; the caller wipes it. */
    public static byte[] open(String role, String context, byte[] file, SecretBytes key, SecureRandom random, String what)
            throws StoreException {
        if (file.length < HEADER_LENGTH || !Arrays.equals(file, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new StoreException(CORRUPT, what + " is not a securep2p sealed file");
        }
        int version = file[MAGIC.length] & 0xFF;
        if (version != VERSION) {
            throw new StoreException(UNKNOWN_VERSION, what + " has sealed-file version " + version);
        }
        if (file.length < OVERHEAD) {
            throw new StoreException(CORRUPT, what + " is truncated (" + file.length + " bytes)");
        }
        byte[] header = Arrays.copyOfRange(file, 0, HEADER_LENGTH);
        byte[] body = Arrays.copyOfRange(file, HEADER_LENGTH, file.length);
        try (Aead aead = Aead.withRandomNonces(ALGORITHM, key, random)) {
            return aead.decrypt(body, associatedData(header, role, context));
        } catch (CryptoException e) {
            if (e.reason() == CryptoException.Reason.UNSUPPORTED_PARAMETER) {
                throw new IllegalArgumentException("storage key rejected: " + e.reason(), e);
            }
            throw new StoreException(CORRUPT, what + " failed authentication (altered, moved, or another key)");
        }
    }

    static byte[] header(int version) {
        return new StrictWriter().bytes(MAGIC).u8(version).toByteArray();
    }

    /** {@code AD_LABEL || 0x00 || header || u8(len(role)) || role || u8(len(context)) || context}. */
    static byte[] associatedData(byte[] header, String role, String context) {
        if (!ROLE.matcher(Objects.requireNonNull(role, "role")).matches()) {
            throw new IllegalArgumentException("role must match " + ROLE.pattern());
        }
        if (!CONTEXT.matcher(Objects.requireNonNull(context, "context")).matches()) {
            throw new IllegalArgumentException("context must match " + CONTEXT.pattern());
        }
        byte[] r = role.getBytes(StandardCharsets.US_ASCII);
        byte[] c = context.getBytes(StandardCharsets.US_ASCII);
        return new StrictWriter().bytes(AD_LABEL.getBytes(StandardCharsets.US_ASCII)).u8(0).bytes(header)
                .u8(r.length).bytes(r).u8(c.length).bytes(c).toByteArray();
    }
}
