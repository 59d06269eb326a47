package org.securep2p.keymanager;

import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

import org.securep2p.crypto.Aead;
import org.securep2p.crypto.AeadAlgorithm;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictWriter;

import static org.securep2p.keymanager.KeyManagerException.Reason.CORRUPT_FILE;
import static org.securep2p.keymanager.KeyManagerException.Reason.STORAGE_FAILED;
import static org.securep2p.keymanager.KeyManagerException.Reason.UNKNOWN_VERSION;

/**
 * A key file sealed under a 32-byte key: {@code "SPKF" || version(1) || nonce(12) || ChaCha20-Poly1305(
 * plaintext) || tag(16)}, with associated data binding the header and the file's role, so a file cannot be
 * moved into another role's place. Written through {@link KeyDirectory#writeAtomically}; read strictly: a
 * truncated, extended, flipped or swapped file is {@code CORRUPT_FILE}, another version is
 * {@code UNKNOWN_VERSION}, and in every case the file is left exactly as it was.
 *
 * <p>Nonces are random (core-crypto's {@link Aead#withRandomNonces}): each write is a fresh {@code Aead}, and
 * a key directory sees far fewer than the 2^32 writes per key that random 96-bit nonces allow.
 *
 * <p>Not its job: where the key comes from ({@link MasterKeyStore}) or what the plaintext means.
 */
final class SealedFile {

    static final byte[] MAGIC = {'S', 'P', 'K', 'F'};
    static final int VERSION = 1;
    static final int HEADER_LENGTH = MAGIC.length + 1;
    static final int NONCE_LENGTH = 12;
    static final int TAG_LENGTH = 16;
    /** The smallest well-formed file: header, nonce and tag around an empty plaintext. */
    static final int MIN_LENGTH = HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH;
    /** Leaves room for the header, nonce and tag within {@link KeyDirectory#MAX_FILE_BYTES}. */
    static final int MAX_PLAINTEXT = (int) KeyDirectory.MAX_FILE_BYTES - MIN_LENGTH;

    static final String AD_LABEL = "securep2p/v1/keys/sealed-file";
    /** Roles are short ASCII names (they are also documented in PROTOCOL.md), never user data. */
    private static final Pattern ROLE = Pattern.compile("[a-z0-9][a-z0-9.-]{0,63}");
    private static final AeadAlgorithm ALGORITHM = AeadAlgorithm.CHACHA20_POLY1305;
    /** {@code Aead} wants a random source even to decrypt, where it never draws from it. */
    private static final SecureRandom DECRYPT_ONLY = new SecureRandom();

    private SealedFile() {
    }

    static void write(Path file, String role, byte[] plaintext, SecretBytes key, SecureRandom random)
            throws KeyManagerException {
        Objects.requireNonNull(plaintext, "plaintext");
        if (plaintext.length > MAX_PLAINTEXT) {
            throw new IllegalArgumentException("plaintext of " + plaintext.length + " bytes exceeds " + MAX_PLAINTEXT);
        }
        byte[] header = header(VERSION);
        try (Aead aead = Aead.withRandomNonces(ALGORITHM, key, random)) {
            byte[] sealed = aead.encrypt(plaintext, associatedData(header, role));
            KeyDirectory.writeAtomically(file, new StrictWriter().bytes(header).bytes(sealed).toByteArray());
        } catch (CryptoException e) {
            // Only a wrong key length gets here; that is a programming error of the caller, not the file.
            throw new IllegalArgumentException("sealing key rejected: " + e.reason(), e);
        }
    }

    /** The plaintext; the caller wipes it. */
    static byte[] read(Path file, String role, SecretBytes key) throws KeyManagerException, NoSuchFileException {
        return read(file, role, key, CORRUPT_FILE);
    }

    /**
     * As {@link #read(Path, String, SecretBytes)}, but an authentication failure is reported with
     * {@code onAuthenticationFailure}: for a key derived from a passphrase, a wrong passphrase and a damaged
     * file look the same to the AEAD, and the wrong passphrase is by far the likelier.
     */
    static byte[] read(Path file, String role, SecretBytes key, KeyManagerException.Reason onAuthenticationFailure)
            throws KeyManagerException, NoSuchFileException {
        byte[] bytes = KeyDirectory.read(file);
        if (bytes.length < HEADER_LENGTH) {
            throw new KeyManagerException(CORRUPT_FILE, file + " is truncated (" + bytes.length + " bytes)");
        }
        if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new KeyManagerException(CORRUPT_FILE, file + " is not a securep2p key file");
        }
        int version = bytes[MAGIC.length] & 0xFF;
        if (version != VERSION) {
            throw new KeyManagerException(UNKNOWN_VERSION, file + " has key file version " + version);
        }
        if (bytes.length < MIN_LENGTH) {
            throw new KeyManagerException(CORRUPT_FILE, file + " is truncated (" + bytes.length + " bytes)");
        }
        byte[] header = Arrays.copyOfRange(bytes, 0, HEADER_LENGTH);
        byte[] body = Arrays.copyOfRange(bytes, HEADER_LENGTH, bytes.length);
        try (Aead aead = Aead.withRandomNonces(ALGORITHM, key, DECRYPT_ONLY)) {
            return aead.decrypt(body, associatedData(header, role));
        } catch (CryptoException e) {
            if (e.reason() == CryptoException.Reason.UNSUPPORTED_PARAMETER) {
                throw new IllegalArgumentException("sealing key rejected: " + e.reason(), e);
            }
            throw new KeyManagerException(onAuthenticationFailure,
                    file + " failed authentication as role " + role);
        }
    }

    static byte[] header(int version) {
        return new StrictWriter().bytes(MAGIC).u8(version).toByteArray();
    }

    /** {@code AD_LABEL || 0x00 || header || u8(len(role)) || role}. */
    static byte[] associatedData(byte[] header, String role) {
        if (!ROLE.matcher(Objects.requireNonNull(role, "role")).matches()) {
            throw new IllegalArgumentException("role must match " + ROLE.pattern());
        }
        byte[] roleBytes = role.getBytes(StandardCharsets.US_ASCII);
        return new StrictWriter().bytes(AD_LABEL.getBytes(StandardCharsets.US_ASCII)).u8(0).bytes(header)
                .u8(roleBytes.length).bytes(roleBytes).toByteArray();
    }
}
