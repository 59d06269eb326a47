package org.securep2p.app.history;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

import org.securep2p.crypto.Aead;
import org.securep2p.crypto.AeadAlgorithm;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HashFunction;
import org.securep2p.crypto.Hkdf;
import org.securep2p.crypto.Hmac;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictWriter;

/**
 * The history's sub-keys, derived from the storage key of purpose {@code history} (PROTOCOL.md §19.6): three
 * HMAC-SHA256 keys that turn a fingerprint, a name and a message id into the lookup columns, and the
 * ChaCha20-Poly1305 key that seals every secret column. It builds every associated data, so no caller can
 * seal a value under the wrong one.
 *
 * <p>Not its job: SQL. {@link #close()} wipes every sub-key; nothing prints a key.
 */
final class HistoryKeys implements AutoCloseable {

    static final int KEY_LENGTH = 32;
    static final int HASH_LENGTH = 32;
    /** What sealing adds to a plaintext: the 12-byte nonce and the 16-byte tag. */
    static final int SEAL_OVERHEAD = 12 + 16;
    static final String LABEL_CONVERSATION = "securep2p/v1/app/history/conversation";
    static final String LABEL_NAME = "securep2p/v1/app/history/name";
    static final String LABEL_MESSAGE = "securep2p/v1/app/history/message";
    static final String LABEL_SEAL = "securep2p/v1/app/history/seal";
    static final String AD_LABEL = "securep2p/v1/app/history";
    /** The key-check row's plaintext: any fixed text; what matters is that it opens. */
    static final byte[] KEY_CHECK = "securep2p history key check v1".getBytes(StandardCharsets.US_ASCII);

    /** What a sealed value is; part of its associated data, so a value of one kind never opens as another. */
    enum Kind {
        KEY_CHECK(1), PEER(2), NAME(3), BODY(4), FAILURE(5);

        final int code;

        Kind(int code) {
            this.code = code;
        }
    }

    private final byte[] conversationKey;
    private final byte[] nameKey;
    private final byte[] messageKey;
    private final Aead aead;
    private final int schemaVersion;
    private final SecureRandom random;

    private HistoryKeys(byte[] conversationKey, byte[] nameKey, byte[] messageKey, Aead aead, int schemaVersion,
            SecureRandom random) {
        this.random = random;
        this.conversationKey = conversationKey;
        this.nameKey = nameKey;
        this.messageKey = messageKey;
        this.aead = aead;
        this.schemaVersion = schemaVersion;
    }

    /** Derives the sub-keys; the caller keeps (and closes) {@code historyKey}. */
    static HistoryKeys derive(SecretBytes historyKey, SecureRandom random, int schemaVersion) {
        Objects.requireNonNull(historyKey, "historyKey");
        Objects.requireNonNull(random, "random");
        if (historyKey.length() != KEY_LENGTH) {
            throw new IllegalArgumentException("history key must be 32 bytes, got " + historyKey.length());
        }
        byte[] ikm = historyKey.copyBytes();
        try (SecretBytes seal = sub(ikm, LABEL_SEAL);
                SecretBytes conversation = sub(ikm, LABEL_CONVERSATION);
                SecretBytes name = sub(ikm, LABEL_NAME);
                SecretBytes message = sub(ikm, LABEL_MESSAGE)) {
            return new HistoryKeys(conversation.copyBytes(), name.copyBytes(), message.copyBytes(),
                    Aead.withRandomNonces(AeadAlgorithm.CHACHA20_POLY1305, seal, random), schemaVersion, random);
        } catch (CryptoException e) {
            // Fixed lengths and labels: only a programming error gets here.
            throw new IllegalStateException("history key derivation failed: " + e.reason(), e);
        } finally {
            Arrays.fill(ikm, (byte) 0);
        }
    }

    private static SecretBytes sub(byte[] ikm, String label) throws CryptoException {
        return Hkdf.derive(HashFunction.SHA_256, ikm, null, label.getBytes(StandardCharsets.US_ASCII), KEY_LENGTH);
    }

    /** The conversation's key column: HMAC(conversation key, the fingerprint's 32 bytes). */
    byte[] conversation(byte[] fingerprint) {
        return Hmac.mac(HashFunction.SHA_256, conversationKey, fingerprint);
    }

    /** The unique name column: HMAC(name key, the normalised name in UTF-8). */
    byte[] name(String normalisedName) {
        return Hmac.mac(HashFunction.SHA_256, nameKey, normalisedName.getBytes(StandardCharsets.UTF_8));
    }

    /** The message's lookup column: HMAC(message key, conv || id in ASCII). */
    byte[] message(byte[] conv, String id) {
        return Hmac.mac(HashFunction.SHA_256, messageKey,
                new StrictWriter().bytes(conv).bytes(id.getBytes(StandardCharsets.US_ASCII)).toByteArray());
    }

    /** Constant-time: a conversation column against the keyed hash of a fingerprint that was opened. */
    boolean isConversationOf(byte[] conv, byte[] fingerprint) {
        return MessageDigest.isEqual(conv, conversation(fingerprint));
    }

    /** A random row id from 1 to 2^63 - 1 (the injected SecureRandom): ids that show no order. */
    long randomRowId() {
        long id;
        do {
            id = random.nextLong() & Long.MAX_VALUE;
        } while (id == 0);
        return id;
    }

    byte[] seal(byte[] plaintext, byte[] associatedData) {
        try {
            return aead.encrypt(plaintext, associatedData);
        } catch (CryptoException e) {
            // Only the Aead's cap of 2^32 seals per instance (per open store) gets here: PROTOCOL.md §19.6.
            throw new IllegalStateException("history key cannot seal more: " + e.reason(), e);
        }
    }

    /** The plaintext, or empty-handed {@link CryptoException} when the value fails authentication. */
    byte[] open(byte[] sealed, byte[] associatedData) throws CryptoException {
        return aead.decrypt(sealed, associatedData);
    }

    byte[] keyCheckAd() {
        return header(Kind.KEY_CHECK).toByteArray();
    }

    byte[] peerAd(byte[] conv) {
        return header(Kind.PEER).bytes(conv).toByteArray();
    }

    byte[] nameAd(byte[] conv) {
        return header(Kind.NAME).bytes(conv).toByteArray();
    }

    byte[] bodyAd(byte[] conv, byte[] mid, long position, HistoryMessage.Direction direction, long storedMillis) {
        return header(Kind.BODY).bytes(conv).bytes(mid).u64(position)
                .u8(direction == HistoryMessage.Direction.SENT ? 0 : 1).u64(storedMillis).toByteArray();
    }

    byte[] failureAd(byte[] conv, byte[] mid) {
        return header(Kind.FAILURE).bytes(conv).bytes(mid).toByteArray();
    }

    private StrictWriter header(Kind kind) {
        return new StrictWriter().bytes(AD_LABEL.getBytes(StandardCharsets.US_ASCII)).u8(0).u8(schemaVersion)
                .u8(kind.code);
    }

    @Override
    public void close() {
        Arrays.fill(conversationKey, (byte) 0);
        Arrays.fill(nameKey, (byte) 0);
        Arrays.fill(messageKey, (byte) 0);
        aead.close();
    }

    @Override
    public String toString() {
        return "HistoryKeys[4 sub-keys]";
    }
}
