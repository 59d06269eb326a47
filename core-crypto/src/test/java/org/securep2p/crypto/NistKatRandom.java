package org.securep2p.crypto;

import java.security.SecureRandom;
import java.util.Arrays;

import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The deterministic random generator of the NIST PQC known-answer-test harness ({@code rng.c}): NIST SP
 * 800-90A CTR_DRBG with AES-256, without derivation function and without reseeding. Test-only: it lets
 * key generation and signing be replayed from a KAT file's 48-byte {@code seed}.
 *
 * <ul>
 *   <li>{@code randombytes_init(seed)}: Key = 0^32, V = 0^16, then Update(seed).</li>
 *   <li>{@code randombytes(out)}: for each 16-byte block, V = V + 1 (big-endian, 128 bits) and the block is
 *   AES-256(Key, V), the last one cut to length; then Update(nothing).</li>
 *   <li>Update(data): three blocks V = V + 1, AES-256(Key, V) make 48 bytes, XORed with data when there is
 *   some; the first 32 bytes become Key, the last 16 become V.</li>
 * </ul>
 * Each {@link #nextBytes} call is one {@code randombytes} call, so the caller must draw in the same pieces
 * as the reference code did.
 */
final class NistKatRandom extends SecureRandom {

    private static final long serialVersionUID = 1L;
    private static final int SEED_LENGTH = 48;
    private static final int BLOCK = 16;

    private final transient BlockCipher aes = AESEngine.newInstance();
    private final byte[] key = new byte[32];
    private final byte[] v = new byte[BLOCK];

    NistKatRandom(byte[] seed) {
        if (seed.length != SEED_LENGTH) {
            throw new IllegalArgumentException("NIST KAT seed must be 48 bytes");
        }
        update(seed);
    }

    @Override
    public synchronized void nextBytes(byte[] out) {
        byte[] block = new byte[BLOCK];
        for (int off = 0; off < out.length; off += BLOCK) {
            nextBlock(block, 0);
            System.arraycopy(block, 0, out, off, Math.min(BLOCK, out.length - off));
        }
        update(null);
    }

    @Override
    public byte[] generateSeed(int numBytes) {
        byte[] out = new byte[numBytes];
        nextBytes(out);
        return out;
    }

    /** Seeding from outside would break the replay: refused once constructed. */
    @Override
    public void setSeed(byte[] seed) {
        if (aes != null) {
            throw new UnsupportedOperationException("NistKatRandom is deterministic");
        }
    }

    @Override
    public synchronized void setSeed(long seed) {
        if (aes != null) {
            throw new UnsupportedOperationException("NistKatRandom is deterministic");
        }
    }

    @Override
    public String getAlgorithm() {
        return "NIST-KAT-CTR_DRBG-AES256";
    }

    private void update(byte[] data) {
        byte[] temp = new byte[3 * BLOCK];
        for (int i = 0; i < 3; i++) {
            nextBlock(temp, i * BLOCK);
        }
        if (data != null) {
            for (int i = 0; i < temp.length; i++) {
                temp[i] ^= data[i];
            }
        }
        System.arraycopy(temp, 0, key, 0, key.length);
        System.arraycopy(temp, key.length, v, 0, BLOCK);
        Arrays.fill(temp, (byte) 0);
    }

    /** V = V + 1, then {@code out[off..off+16) = AES-256(Key, V)}. */
    private void nextBlock(byte[] out, int off) {
        for (int i = BLOCK - 1; i >= 0; i--) {
            if (++v[i] != 0) {
                break;
            }
        }
        aes.init(true, new KeyParameter(key));
        aes.processBlock(v, 0, out, off);
    }
}
