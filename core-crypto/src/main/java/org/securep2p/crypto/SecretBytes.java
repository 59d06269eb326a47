package org.securep2p.crypto;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * Secret key material that wipes itself. Use with try-with-resources: {@link #close()} overwrites the bytes
 * with zeros and every later access fails. {@code toString()} shows the length only, never the bytes;
 * {@link #equalsConstantTime} compares without leaking where two secrets differ.
 *
 * <p>Not its job: deciding how long a secret lives. The owner closes it.
 */
public final class SecretBytes implements AutoCloseable {

    private final byte[] bytes;
    private volatile boolean destroyed;

    private SecretBytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Copies {@code bytes}; the caller keeps (and should wipe) its array. */
    public static SecretBytes copyOf(byte[] bytes) {
        return new SecretBytes(Objects.requireNonNull(bytes, "bytes").clone());
    }

    /** Copies {@code length} bytes of {@code bytes} from {@code offset}. */
    public static SecretBytes copyOf(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, Objects.requireNonNull(bytes, "bytes").length);
        return new SecretBytes(Arrays.copyOfRange(bytes, offset, offset + length));
    }

    /**
     * Takes ownership of {@code bytes} without copying: the array must not be used by the caller afterwards,
     * it will be zeroed when this object is closed.
     */
    static SecretBytes takeOwnership(byte[] bytes) {
        return new SecretBytes(Objects.requireNonNull(bytes, "bytes"));
    }

    public int length() {
        return bytes.length;
    }

    /** A fresh copy of the bytes; the caller must wipe it ({@code Arrays.fill(copy, (byte) 0)}) when done. */
    public byte[] copyBytes() {
        checkAlive();
        return bytes.clone();
    }

    /** The backing array, for wrappers in this package that must not make extra copies. */
    byte[] unsafeBytes() {
        checkAlive();
        return bytes;
    }

    public boolean equalsConstantTime(SecretBytes other) {
        checkAlive();
        other.checkAlive();
        return MessageDigest.isEqual(bytes, other.bytes);
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public void close() {
        Arrays.fill(bytes, (byte) 0);
        destroyed = true;
    }

    private void checkAlive() {
        if (destroyed) {
            throw new IllegalStateException("secret was already wiped");
        }
    }

    @Override
    public String toString() {
        return "SecretBytes[" + bytes.length + " bytes" + (destroyed ? ", wiped" : "") + "]";
    }

    /** Secrets are compared with {@link #equalsConstantTime}, never through {@code equals}. */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
