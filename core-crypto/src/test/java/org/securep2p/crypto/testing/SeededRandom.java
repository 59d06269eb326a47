package org.securep2p.crypto.testing;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

import org.bouncycastle.crypto.digests.SHAKEDigest;

/**
 * Deterministic randomness for tests and test vectors: the SHAKE256 output stream of a seed. The same seed
 * gives the same keys, signatures and handshakes on every machine, so a failure can always be replayed.
 *
 * <p>Not its job: secrecy. Never hand it to production code; it exists so that tests are replayable.
 */
public final class SeededRandom extends SecureRandom {

    private static final long serialVersionUID = 1L;
    private final transient SHAKEDigest xof = new SHAKEDigest(256);

    public SeededRandom(String seed) {
        this(seed.getBytes(StandardCharsets.UTF_8));
    }

    public SeededRandom(long seed) {
        this(Long.toString(seed));
    }

    public SeededRandom(byte[] seed) {
        super(new byte[0]);
        xof.update(seed, 0, seed.length);
    }

    @Override
    public synchronized void nextBytes(byte[] bytes) {
        if (bytes.length > 0) {
            xof.doOutput(bytes, 0, bytes.length);
        }
    }

    @Override
    public void setSeed(long seed) {
        // SecureRandom's constructor calls this; the stream is fixed by the constructor's seed alone.
    }

    @Override
    public byte[] generateSeed(int numBytes) {
        byte[] b = new byte[numBytes];
        nextBytes(b);
        return b;
    }
}
