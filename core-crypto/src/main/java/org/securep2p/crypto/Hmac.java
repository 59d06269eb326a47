package org.securep2p.crypto;

import java.security.MessageDigest;
import java.util.Objects;

import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/** HMAC (RFC 2104) over SHA-256 or SHA-512, through Bouncy Castle; tags are checked in constant time. */
public final class Hmac {

    private Hmac() {
    }

    /** The full-length tag of {@code message} under {@code key}. */
    public static byte[] mac(HashFunction hash, byte[] key, byte[] message) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(message, "message");
        HMac mac = new HMac(hash.newDigest());
        mac.init(new KeyParameter(key));
        mac.update(message, 0, message.length);
        byte[] out = new byte[mac.getMacSize()];
        mac.doFinal(out, 0);
        return out;
    }

    /** Constant-time check of a full-length tag; a tag of any other length is refused. */
    public static boolean verify(HashFunction hash, byte[] key, byte[] message, byte[] tag) {
        if (tag == null || tag.length != hash.outputLength()) {
            return false;
        }
        byte[] expected = mac(hash, key, message);
        return MessageDigest.isEqual(expected, tag);
    }
}
