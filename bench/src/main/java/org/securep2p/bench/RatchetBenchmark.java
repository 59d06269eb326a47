package org.securep2p.bench;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.InitialMessage;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.ratchet.InMemorySessionStore;
import org.securep2p.ratchet.RatchetException;
import org.securep2p.ratchet.SessionCipher;
import org.securep2p.ratchet.SessionRecord;

/**
 * The ratchet per 100-byte message, encrypt plus decrypt, with in-memory session stores:
 * <ul>
 *   <li>{@link #chainStep}: one direction, so every message is a symmetric chain step (KDF_CK, header and
 *   body AEAD), in an ordinary chain (the session's first KEM steps are done in the setup);</li>
 *   <li>{@link #chainStepInKemChain}: the same in a chain that began with a KEM step, whose every header
 *   carries the 3,136 bytes of ML-KEM key and ciphertext (QUANTUM_RESISTANT; the worst case);</li>
 *   <li>{@link #pingPong}: alternating directions, so every message is a DH ratchet step (and, at
 *   QUANTUM_RESISTANT, a KEM step every {@code KEM_REKEY_MESSAGES} messages).</li>
 * </ul>
 * Run: {@code java -jar bench/target/benchmarks.jar RatchetBenchmark -f 1}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
public class RatchetBenchmark {

    @Param({"STANDARD", "ENHANCED", "QUANTUM_RESISTANT"})
    public SecurityLevel level;

    static final byte[] MESSAGE = Arrays.copyOf("a 100-byte chat message".getBytes(StandardCharsets.US_ASCII), 100);

    SessionCipher alice;
    SessionCipher bob;
    SessionCipher kemChainAlice;
    SessionCipher kemChainBob;
    private boolean aliceTurn = true;

    @Setup(Level.Trial)
    public void setUp() throws CryptoException, RatchetException {
        SessionCipher[] young = conversation();
        kemChainAlice = young[0];
        kemChainBob = young[1];
        SessionCipher[] settled = conversation();
        alice = settled[0];
        bob = settled[1];
        // Two more round trips: both sides have done their first KEM step, so later chains are ordinary.
        for (int i = 0; i < 2; i++) {
            bob.decrypt(alice.encrypt(MESSAGE));
            alice.decrypt(bob.encrypt(MESSAGE));
        }
    }

    /** A fresh session, after one round trip. */
    private SessionCipher[] conversation() throws CryptoException, RatchetException {
        SessionCipher alice;
        SessionCipher bob;
        SecureRandom random = new SecureRandom();
        Clock clock = Clock.systemUTC();
        try (InMemoryPrivateKeys a = InMemoryPrivateKeys.generate(random, clock, 0, 0);
                InMemoryPrivateKeys b = InMemoryPrivateKeys.generate(random, clock, 0, 0)) {
            HybridHandshake hs = new HybridHandshake(random, clock);
            PreKeyBundle bundle = b.preKeyBundle();
            InMemorySessionStore aliceStore = new InMemorySessionStore();
            InMemorySessionStore bobStore = new InMemorySessionStore();
            try (HandshakeResult ra = hs.initiate(a, bundle, level, null, new byte[0]);
                    HandshakeResult rb = hs.respond(b, bundle,
                            InitialMessage.decode(ra.initialMessage().orElseThrow().encode()), level)) {
                aliceStore.store("bob", SessionRecord.initiator(ra, random));
                bobStore.store("alice", SessionRecord.responder(rb, random));
            }
            alice = new SessionCipher(aliceStore, "bob", random, clock);
            bob = new SessionCipher(bobStore, "alice", random, clock);
        }
        if (!Arrays.equals(MESSAGE, bob.decrypt(alice.encrypt(MESSAGE)))
                || !Arrays.equals(MESSAGE, alice.decrypt(bob.encrypt(MESSAGE)))) {
            throw new IllegalStateException("ratchet sanity check failed at " + level);
        }
        return new SessionCipher[] {alice, bob};
    }

    @Benchmark
    public byte[] chainStep() throws RatchetException {
        return bob.decrypt(alice.encrypt(MESSAGE));
    }

    @Benchmark
    public byte[] chainStepInKemChain() throws RatchetException {
        return kemChainBob.decrypt(kemChainAlice.encrypt(MESSAGE));
    }

    @Benchmark
    public byte[] pingPong() throws RatchetException {
        aliceTurn = !aliceTurn;
        return aliceTurn ? bob.decrypt(alice.encrypt(MESSAGE)) : alice.decrypt(bob.encrypt(MESSAGE));
    }
}
