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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.InitialMessage;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SecurityLevel;

/**
 * The whole {@link HybridHandshake} through core-crypto's public API, both sides in one thread, at each
 * {@link SecurityLevel}:
 * <ul>
 *   <li>{@link #fullHandshake}: initiator decodes the responder's bundle from bytes, {@code initiate}s
 *   (which verifies the bundle's prekey signatures), encodes the initial message; responder decodes it and
 *   {@code respond}s. Both results are closed (secrets wiped).</li>
 *   <li>{@link #initiatorSide} and {@link #responderSide}: the same work split at the wire; they add up to
 *   {@code fullHandshake}. The responder replays one pre-made message, which is harmless here: neither
 *   {@code InMemoryPrivateKeys} nor the benchmark holder keeps a replay cache.</li>
 * </ul>
 * {@code oneTimePreKey=false}: the bundle carries no one-time X25519 prekey (DH1..DH3).
 * {@code oneTimePreKey=true}: it carries one (adds DH4 on each side); because one-time prekeys are single-use,
 * the responder is wrapped in {@link ReusableOneTimePreKeys}, which offers a prekey that is never consumed
 * but otherwise does the same agreement. Identities (Falcon-1024 key generation, ~30 ms) are made once per
 * trial.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar HandshakeBenchmark -f 1 -wi 6 -w 2s -i 5 -r 2s}
 * (add {@code -p level=QUANTUM_RESISTANT -p oneTimePreKey=false} to narrow it). Falcon signing and the
 * bundle checks need about 10 s of warm-up before the JIT settles on a 2-core machine; 3 x 2 s was too few.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
public class HandshakeBenchmark {

    @Param({"STANDARD", "ENHANCED", "QUANTUM_RESISTANT"})
    public SecurityLevel level;

    @Param({"false", "true"})
    public boolean oneTimePreKey;

    private static final byte[] PAYLOAD = "hello: the first message of a new session, 64 bytes of payload."
            .getBytes(StandardCharsets.US_ASCII);

    private HybridHandshake initiatorHandshake;
    private HybridHandshake responderHandshake;
    private InMemoryPrivateKeys initiator;
    private InMemoryPrivateKeys responderKeys;
    private PrivateKeyOperations responder;
    private PreKeyBundle offered;
    private byte[] bundleBytes;
    private Fingerprint responderFingerprint;
    /** A valid initial message for {@link #responderSide}. */
    private byte[] messageBytes;

    @Setup(Level.Trial)
    public void setUp() throws CryptoException {
        Clock clock = Clock.systemUTC();
        initiatorHandshake = new HybridHandshake(new SecureRandom(), clock);
        responderHandshake = new HybridHandshake(new SecureRandom(), clock);
        initiator = InMemoryPrivateKeys.generate(new SecureRandom(), clock, 0, 0);
        if (oneTimePreKey) {
            responderKeys = InMemoryPrivateKeys.generate(new SecureRandom(), clock, 1, 0);
            responder = new ReusableOneTimePreKeys(responderKeys, new SecureRandom());
        } else {
            responderKeys = InMemoryPrivateKeys.generate(new SecureRandom(), clock, 0, 0);
            responder = responderKeys;
        }
        offered = responder.preKeyBundle();
        if (offered.oneTimePreKey().isPresent() != oneTimePreKey) {
            throw new IllegalStateException("bundle one-time prekey presence does not match the parameter");
        }
        bundleBytes = offered.encode();
        responderFingerprint = responder.identity().fingerprint();

        // Sanity check: both sides derive the same secret and the payload arrives, twice (the second run proves
        // that nothing is consumed between invocations).
        for (int i = 0; i < 2; i++) {
            try (HandshakeResult a = initiatorHandshake.initiate(initiator, PreKeyBundle.decode(bundleBytes), level,
                    responderFingerprint, PAYLOAD)) {
                messageBytes = a.initialMessage().orElseThrow().encode();
                try (HandshakeResult b = responderHandshake.respond(responder, offered,
                        InitialMessage.decode(messageBytes), level)) {
                    if (!a.sessionSecret().equalsConstantTime(b.sessionSecret())
                            || !Arrays.equals(PAYLOAD, b.payload().orElseThrow())
                            || !Arrays.equals(a.transcriptHash(), b.transcriptHash())) {
                        throw new IllegalStateException("handshake sanity check failed at " + level);
                    }
                }
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (responder instanceof ReusableOneTimePreKeys) {
            ((ReusableOneTimePreKeys) responder).close();
        }
        responderKeys.close();
        initiator.close();
    }

    @Benchmark
    public void fullHandshake(Blackhole bh) throws CryptoException {
        PreKeyBundle bundle = PreKeyBundle.decode(bundleBytes);
        try (HandshakeResult a = initiatorHandshake.initiate(initiator, bundle, level, responderFingerprint,
                PAYLOAD)) {
            byte[] wire = a.initialMessage().orElseThrow().encode();
            InitialMessage received = InitialMessage.decode(wire);
            try (HandshakeResult b = responderHandshake.respond(responder, offered, received, level)) {
                bh.consume(a);
                bh.consume(b);
            }
        }
    }

    @Benchmark
    public byte[] initiatorSide() throws CryptoException {
        PreKeyBundle bundle = PreKeyBundle.decode(bundleBytes);
        try (HandshakeResult a = initiatorHandshake.initiate(initiator, bundle, level, responderFingerprint,
                PAYLOAD)) {
            return a.initialMessage().orElseThrow().encode();
        }
    }

    @Benchmark
    public void responderSide(Blackhole bh) throws CryptoException {
        InitialMessage received = InitialMessage.decode(messageBytes);
        try (HandshakeResult b = responderHandshake.respond(responder, offered, received, level)) {
            bh.consume(b);
        }
    }
}
