package org.securep2p.bench;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.pqc.crypto.falcon.FalconParameters;
import org.bouncycastle.pqc.crypto.falcon.FalconPublicKeyParameters;
import org.bouncycastle.pqc.crypto.falcon.FalconSigner;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HandshakeTranscript;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.HybridSignature;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecurityLevel;

/**
 * The initiator's transcript signature, which QUANTUM_RESISTANT adds on top of PQXDH, measured on its own so
 * that it can be subtracted from the full QUANTUM_RESISTANT handshake ({@link HandshakeBenchmark}):
 * <ul>
 *   <li>{@link #signQuantumResistant}: {@code PrivateKeyOperations.signHandshakeTranscript} of a
 *   QUANTUM_RESISTANT transcript (64-byte SHA-512 hash): Ed25519 + Falcon-1024, exactly what
 *   {@code initiate} calls.</li>
 *   <li>{@link #signEnhancedEd25519Only}: the same call with an ENHANCED transcript, which signs with Ed25519
 *   only (the handshake never does this below QUANTUM_RESISTANT; it isolates the Ed25519 share, so Falcon
 *   sign = QR - this).</li>
 *   <li>{@link #verifyQuantumResistant}: the responder's check of that signature (Ed25519 then Falcon-1024).
 *   {@code HybridSignature.verify} is package-private, so this replays its exact steps with Bouncy Castle
 *   (as {@code core-crypto}'s {@code Ed25519.verify} and {@code Falcon1024.verify} do, including building the
 *   Falcon key parameters per call) on the real signature bytes and real signed message of a real
 *   QUANTUM_RESISTANT handshake, parsed from the encoded initial message. The setup checks that both verify.</li>
 *   <li>{@link #verifyEd25519Only} and {@link #verifyFalconOnly}: the two halves of that check.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar TranscriptSignatureBenchmark -f 1 -wi 6 -w 2s -i 5 -r 2s}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
public class TranscriptSignatureBenchmark {

    private static final int ED25519_SIGNATURE_LENGTH = 64;
    private static final int FALCON_PUBLIC_KEY_LENGTH = 1793;

    private InMemoryPrivateKeys initiator;
    private HandshakeTranscript qrTranscript;
    private HandshakeTranscript enhancedTranscript;

    private byte[] signedMessage;
    private byte[] ed25519PublicKey;
    private byte[] falconPublicKey;
    private byte[] ed25519Signature;
    private byte[] falconSignature;

    @Setup(Level.Trial)
    public void setUp() throws CryptoException {
        SecureRandom random = new SecureRandom();
        Clock clock = Clock.systemUTC();
        initiator = InMemoryPrivateKeys.generate(new SecureRandom(), clock, 0, 0);
        byte[] hash = new byte[64];
        random.nextBytes(hash);
        qrTranscript = HandshakeTranscript.of(SecurityLevel.QUANTUM_RESISTANT, hash);
        enhancedTranscript = HandshakeTranscript.of(SecurityLevel.ENHANCED, hash);

        // A real QUANTUM_RESISTANT handshake, to take its transcript signature off the wire.
        try (InMemoryPrivateKeys responder = InMemoryPrivateKeys.generate(new SecureRandom(), clock, 0, 0);
                HandshakeResult result = new HybridHandshake(random, clock).initiate(initiator,
                        responder.preKeyBundle(), SecurityLevel.QUANTUM_RESISTANT, null,
                        "x".getBytes(StandardCharsets.US_ASCII))) {
            signedMessage = HandshakeTranscript.of(SecurityLevel.QUANTUM_RESISTANT, result.transcriptHash())
                    .signedMessage();
            parseIdentity(initiator.identity());
            parseSignature(result.initialMessage().orElseThrow().encode());
        }
        if (!verifyEd25519Only() || !verifyFalconOnly()) {
            throw new IllegalStateException("transcript signature parsed from the initial message does not verify");
        }
        byte[] tampered = signedMessage.clone();
        tampered[tampered.length - 1] ^= 1;
        if (Ed25519.verify(ed25519Signature, 0, ed25519PublicKey, 0, tampered, 0, tampered.length)
                || falconVerify(tampered)) {
            throw new IllegalStateException("verification accepts a tampered message: benchmark is wrong");
        }
    }

    /** {@code version || 0x01 x25519[32] || 0x02 ed25519[32] || 0x03 falcon[1793]}. */
    private void parseIdentity(IdentityPublicKeys identity) {
        byte[] e = identity.encoded();
        if (e.length != IdentityPublicKeys.ENCODED_LENGTH || e[1] != 0x01 || e[34] != 0x02 || e[67] != 0x03) {
            throw new IllegalStateException("unexpected identity encoding");
        }
        ed25519PublicKey = Arrays.copyOfRange(e, 35, 67);
        falconPublicKey = Arrays.copyOfRange(e, 68, 68 + FALCON_PUBLIC_KEY_LENGTH);
    }

    /**
     * QUANTUM_RESISTANT initial message without one-time prekey: {@code version u8 || level u8 ||
     * fingerprint[32] || identity || 0x01 eph[32] || spkId u32 || flags u8 || kemId u32 || kemCt[1568] ||
     * ed25519[64] || u16 len || falcon[len] || u32 len || ct}.
     */
    private void parseSignature(byte[] m) {
        int off = 1 + 1 + 32 + IdentityPublicKeys.ENCODED_LENGTH + 33 + 4 + 1 + 4 + 1568;
        ed25519Signature = Arrays.copyOfRange(m, off, off + ED25519_SIGNATURE_LENGTH);
        off += ED25519_SIGNATURE_LENGTH;
        int falconLength = ((m[off] & 0xFF) << 8) | (m[off + 1] & 0xFF);
        off += 2;
        falconSignature = Arrays.copyOfRange(m, off, off + falconLength);
        off += falconLength;
        int ctLength = ((m[off] & 0xFF) << 24) | ((m[off + 1] & 0xFF) << 16) | ((m[off + 2] & 0xFF) << 8)
                | (m[off + 3] & 0xFF);
        if (off + 4 + ctLength != m.length || falconSignature[0] != 0x3A) {
            throw new IllegalStateException("unexpected initial message layout");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        initiator.close();
    }

    @Benchmark
    public HybridSignature signQuantumResistant() throws CryptoException {
        return initiator.signHandshakeTranscript(qrTranscript);
    }

    @Benchmark
    public HybridSignature signEnhancedEd25519Only() throws CryptoException {
        return initiator.signHandshakeTranscript(enhancedTranscript);
    }

    @Benchmark
    @SuppressWarnings("ShortCircuitBoolean") // both verifications always run: their sum is what is measured
    public boolean verifyQuantumResistant() {
        return verifyEd25519Only() & falconVerify(signedMessage);
    }

    @Benchmark
    public boolean verifyEd25519Only() {
        return Ed25519.verify(ed25519Signature, 0, ed25519PublicKey, 0, signedMessage, 0, signedMessage.length);
    }

    @Benchmark
    public boolean verifyFalconOnly() {
        return falconVerify(signedMessage);
    }

    /** As {@code core-crypto}'s {@code Falcon1024.verify}: fresh key parameters and signer on every call. */
    private boolean falconVerify(byte[] message) {
        FalconSigner verifier = new FalconSigner();
        verifier.init(false, new FalconPublicKeyParameters(FalconParameters.falcon_1024,
                Arrays.copyOfRange(falconPublicKey, 1, FALCON_PUBLIC_KEY_LENGTH)));
        return verifier.verifySignature(message, falconSignature);
    }
}
