package org.securep2p.crypto;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.util.Objects;

import javax.crypto.Mac;
import javax.crypto.SecretKey;

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
        TransientKey k = new TransientKey(key.length == 0 ? EMPTY_KEY : key, hash.hmacName());
        try {
            mac.init(k);
        } catch (InvalidKeyException impossible) {
            // Any non-empty byte string is a valid HMAC key.
            throw new IllegalStateException(impossible);
        } finally {
            k.wipe();
        }
    }

    /**
     * The key handed to the JDK's Mac. A {@code SecretKeySpec} keeps its own copy of the key for as long as the
     * garbage collector leaves it in memory, and cannot be wiped (every ratchet chain key and root key passes
     * through here); the JDK's HMAC copies the key out with {@link #getEncoded()}, derives its pads and zeroes
     * that copy, and this one is zeroed as soon as {@code init} returns.
     */
    private static final class TransientKey implements SecretKey {
        private static final long serialVersionUID = 1;
        private final byte[] key;
        private final String algorithm;

        TransientKey(byte[] key, String algorithm) {
            this.key = key.clone();
            this.algorithm = algorithm;
        }

        @Override
        public String getAlgorithm() {
            return algorithm;
        }

        @Override
        public String getFormat() {
            return "RAW";
        }

        @Override
        public byte[] getEncoded() {
            return key.clone();
        }

        void wipe() {
            java.util.Arrays.fill(key, (byte) 0);
        }

        @Override
        public void destroy() {
            wipe();
        }

        @Override
        public boolean isDestroyed() {
            for (byte b : key) {
                if (b != 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
