package org.securep2p.keymanager;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;

import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

import static org.securep2p.keymanager.KeyManagerException.Reason.CORRUPT_FILE;
import static org.securep2p.keymanager.KeyManagerException.Reason.PASSPHRASE_INVALID;
import static org.securep2p.keymanager.KeyManagerException.Reason.UNKNOWN_VERSION;

/**
 * Argon2id (RFC 9106, version 1.3, Bouncy Castle) parameters and salt for deriving the key that wraps the
 * master key from a passphrase, and their file {@code master.kdf}:
 * {@code "SPKD" || version(1) || algorithm(1) || memoryKiB(u32) || iterations(u32) || parallelism(u8) ||
 * saltLength(u8) || salt || SHA-256(all preceding bytes)}. The digest only catches accidental damage (a
 * flipped salt bit would otherwise look like a wrong passphrase); tampering cannot weaken anything, because
 * other parameters derive another key and the wrapped master key then fails to open.
 */
final class KdfParameters {

    static final byte[] MAGIC = {'S', 'P', 'K', 'D'};
    static final int VERSION = 1;
    /** RFC 9106 Argon2id, version 0x13. */
    static final int ALGORITHM_ARGON2ID = 1;

    /**
     * Production cost, tuned so that one derivation takes about 0.5 s on the development machine (2 cores,
     * Bouncy Castle 1.84, JDK 17: 0.40 to 0.48 s measured; PROTOCOL.md section 15): 128 MiB of memory makes
     * every guess cost an attacker that much memory bandwidth, 2 passes is what fits the latency budget at
     * that size (RFC 9106 prefers more memory over more passes), and 2 lanes match the 2 cores.
     */
    static final int DEFAULT_MEMORY_KIB = 128 * 1024;
    static final int DEFAULT_ITERATIONS = 2;
    static final int DEFAULT_PARALLELISM = 2;

    /** RFC 9106 recommends 128-bit salts. */
    static final int SALT_LENGTH = 16;
    static final int KEY_LENGTH = 32;
    static final int DIGEST_LENGTH = 32;

    /**
     * Bounds checked when reading a header: a damaged or hostile file must not make us allocate more memory
     * than a desktop can spare (2 GiB) or spin for minutes. The lower bounds are Argon2's own minimums, so
     * tests can use cheap parameters; only our code writes headers, always with the defaults in production.
     */
    static final int MAX_MEMORY_KIB = 2 * 1024 * 1024;
    static final int MAX_ITERATIONS = 64;
    static final int MAX_PARALLELISM = 16;

    /** A longer passphrase is not stronger in any useful way, and the bound keeps buffers small. */
    static final int MAX_PASSPHRASE_BYTES = 1024;

    private final int memoryKib;
    private final int iterations;
    private final int parallelism;
    private final byte[] salt;

    private KdfParameters(int memoryKib, int iterations, int parallelism, byte[] salt) {
        if (parallelism < 1 || parallelism > MAX_PARALLELISM) {
            throw new IllegalArgumentException("parallelism out of range");
        }
        if (memoryKib < 8 * parallelism || memoryKib > MAX_MEMORY_KIB) {
            throw new IllegalArgumentException("memory out of range");
        }
        if (iterations < 1 || iterations > MAX_ITERATIONS) {
            throw new IllegalArgumentException("iterations out of range");
        }
        this.memoryKib = memoryKib;
        this.iterations = iterations;
        this.parallelism = parallelism;
        this.salt = salt.clone();
    }

    /** The cost of a new key directory, with a fresh salt. */
    static KdfParameters fresh(int memoryKib, int iterations, int parallelism, SecureRandom random) {
        byte[] salt = new byte[SALT_LENGTH];
        random.nextBytes(salt);
        return new KdfParameters(memoryKib, iterations, parallelism, salt);
    }

    static KdfParameters freshDefault(SecureRandom random) {
        return fresh(DEFAULT_MEMORY_KIB, DEFAULT_ITERATIONS, DEFAULT_PARALLELISM, random);
    }

    byte[] encode() {
        byte[] body = new StrictWriter().bytes(MAGIC).u8(VERSION).u8(ALGORITHM_ARGON2ID).u32(memoryKib)
                .u32(iterations).u8(parallelism).u8(salt.length).bytes(salt).toByteArray();
        return new StrictWriter().bytes(body).bytes(sha256(body)).toByteArray();
    }

    static KdfParameters decode(byte[] bytes, Path file) throws KeyManagerException {
        if (bytes.length < MAGIC.length + 1 || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new KeyManagerException(CORRUPT_FILE, file + " is not a securep2p KDF header");
        }
        int version = bytes[MAGIC.length] & 0xFF;
        if (version != VERSION) {
            throw new KeyManagerException(UNKNOWN_VERSION, file + " has KDF header version " + version);
        }
        if (bytes.length < DIGEST_LENGTH) {
            throw new KeyManagerException(CORRUPT_FILE, file + " is truncated");
        }
        byte[] body = Arrays.copyOfRange(bytes, 0, bytes.length - DIGEST_LENGTH);
        byte[] digest = Arrays.copyOfRange(bytes, bytes.length - DIGEST_LENGTH, bytes.length);
        if (!MessageDigest.isEqual(sha256(body), digest)) {
            throw new KeyManagerException(CORRUPT_FILE, file + " fails its checksum");
        }
        try {
            StrictReader in = new StrictReader(body, "KDF header");
            in.fixed(MAGIC.length, "magic");
            in.u8("version");
            int algorithm = in.u8("algorithm");
            if (algorithm != ALGORITHM_ARGON2ID) {
                throw new KeyManagerException(UNKNOWN_VERSION, file + " names KDF algorithm " + algorithm);
            }
            int memory = in.u32("memory");
            int iterations = in.u32("iterations");
            int parallelism = in.u8("parallelism");
            int saltLength = in.u8("salt length");
            if (saltLength != SALT_LENGTH) {
                throw new KeyManagerException(CORRUPT_FILE, file + " has a salt of " + saltLength + " bytes");
            }
            byte[] salt = in.fixed(SALT_LENGTH, "salt");
            in.expectEnd();
            return new KdfParameters(memory, iterations, parallelism, salt);
        } catch (CryptoException | IllegalArgumentException e) {
            throw new KeyManagerException(CORRUPT_FILE, file + " has malformed KDF parameters", e);
        }
    }

    /** The 32-byte wrapping key. The caller still owns (and wipes) {@code passphrase}. */
    SecretBytes derive(char[] passphrase) throws KeyManagerException {
        byte[] password = utf8(passphrase);
        byte[] out = new byte[KEY_LENGTH];
        try {
            Argon2BytesGenerator generator = new Argon2BytesGenerator();
            generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                    .withVersion(Argon2Parameters.ARGON2_VERSION_13).withMemoryAsKB(memoryKib)
                    .withIterations(iterations).withParallelism(parallelism).withSalt(salt).build());
            generator.generateBytes(password, out);
            return SecretBytes.copyOf(out);
        } finally {
            Arrays.fill(password, (byte) 0);
            Arrays.fill(out, (byte) 0);
        }
    }

    /** Strict UTF-8 without an intermediate String, so the bytes can be wiped. */
    @SuppressWarnings("ByteBufferBackingArray") // the whole backing array is wiped, whatever the buffer's offset
    static byte[] utf8(char[] passphrase) throws KeyManagerException {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer buffer = null;
        try {
            buffer = encoder.encode(CharBuffer.wrap(passphrase));
            if (buffer.remaining() == 0 || buffer.remaining() > MAX_PASSPHRASE_BYTES) {
                throw new KeyManagerException(PASSPHRASE_INVALID, "passphrase must be 1 to "
                        + MAX_PASSPHRASE_BYTES + " bytes of UTF-8");
            }
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new KeyManagerException(PASSPHRASE_INVALID, "passphrase is not valid Unicode");
        } finally {
            if (buffer != null && buffer.hasArray()) {
                Arrays.fill(buffer.array(), (byte) 0);
            }
        }
    }

    int memoryKib() {
        return memoryKib;
    }

    int iterations() {
        return iterations;
    }

    int parallelism() {
        return parallelism;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "Argon2id(m=" + memoryKib + " KiB, t=" + iterations + ", p=" + parallelism + ")";
    }
}
