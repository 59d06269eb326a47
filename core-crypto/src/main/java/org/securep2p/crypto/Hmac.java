package org.securep2p.crypto;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.util.Objects;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC (RFC 2104) over SHA-256 or SHA-512, through the JDK; tags are checked in constant time. */
public final class Hmac {

    /**
     * RFC 2104 pads a key shorter than the block with zeros, so the empty key and the one-byte key {@code 0x00}
     * are the same key; the JDK refuses an empty {@code SecretKeySpec}, so the empty key is passed as the latter.
     */
    private static final byte[] EMPTY_KEY = {0};

    private Hmac() {
    }

    /** The full-length tag of {@code message} under {@code key}. */
    public static byte[] mac(HashFunction hash, byte[] key, byte[] message) {
        return compute(hash.mac(), hash, Objects.requireNonNull(key, "key"), Objects.requireNonNull(message));
    }

    /** The tags of several messages under one key, with the key set up once (a ratchet's KDF_CK). */
    public static byte[][] macs(HashFunction hash, byte[] key, byte[]... messages) {
        Mac mac = hash.mac();
        init(mac, hash, Objects.requireNonNull(key, "key"));
        byte[][] tags = new byte[messages.length][];
        for (int i = 0; i < messages.length; i++) {
            tags[i] = mac.doFinal(messages[i]);
        }
        return tags;
    }

    /** Constant-time check of a full-length tag; a tag of any other length is refused. */
    public static boolean verify(HashFunction hash, byte[] key, byte[] message, byte[] tag) {
        if (tag == null || tag.length != hash.outputLength()) {
            return false;
        }
        return MessageDigest.isEqual(mac(hash, key, message), tag);
    }

    static byte[] compute(Mac mac, HashFunction hash, byte[] key, byte[] message) {
        init(mac, hash, key);
        return mac.doFinal(message);
    }

    static void init(Mac mac, HashFunction hash, byte[] key) {
        try {
            mac.init(new SecretKeySpec(key.length == 0 ? EMPTY_KEY : key, hash.hmacName()));
        } catch (InvalidKeyException impossible) {
            // Any non-empty byte string is a valid HMAC key.
            throw new IllegalStateException(impossible);
        }
    }
}
