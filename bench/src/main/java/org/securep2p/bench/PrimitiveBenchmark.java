package org.securep2p.bench;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.generators.MLKEMKeyPairGenerator;
import org.bouncycastle.crypto.kems.MLKEMExtractor;
import org.bouncycastle.crypto.kems.MLKEMGenerator;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.MLKEMKeyGenerationParameters;
import org.bouncycastle.crypto.params.MLKEMParameters;
import org.bouncycastle.crypto.params.MLKEMPrivateKeyParameters;
import org.bouncycastle.crypto.params.MLKEMPublicKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.pqc.crypto.falcon.FalconKeyGenerationParameters;
import org.bouncycastle.pqc.crypto.falcon.FalconKeyPairGenerator;
import org.bouncycastle.pqc.crypto.falcon.FalconParameters;
import org.bouncycastle.pqc.crypto.falcon.FalconPrivateKeyParameters;
import org.bouncycastle.pqc.crypto.falcon.FalconPublicKeyParameters;
import org.bouncycastle.pqc.crypto.falcon.FalconSigner;
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

/**
 * The building blocks of the handshake and the ratchet, called directly through Bouncy Castle 1.84's
 * lightweight API and the JDK (no core-crypto wrappers), one operation per invocation:
 * <ul>
 *   <li>X25519: agreement with BC ({@code rfc7748.X25519.calculateAgreement}) against the JDK's XDH
 *   ({@code KeyAgreement "XDH"} with pre-generated keys; each call does {@code init + doPhase +
 *   generateSecret} on an instance obtained once), and BC public-key generation (fixed-base).</li>
 *   <li>Ed25519 sign and verify (BC {@code rfc8032.Ed25519}) of a 107-byte message (the size of a transcript
 *   signature's input).</li>
 *   <li>ML-KEM-1024 encapsulation and decapsulation with parsed keys, plus the variants core-crypto
 *   actually runs: encapsulation from the encoded public key (parse + modulus check) and decapsulation from
 *   the 64-byte seed (which re-expands the key pair, i.e. a key generation, on every call), and key
 *   generation itself.</li>
 *   <li>Falcon-1024 sign (with the randomness BC draws per signature) and verify.</li>
 *   <li>HKDF-SHA-512 (extract + expand) of 64 bytes from 160 bytes of key material (the QUANTUM_RESISTANT
 *   handshake's {@code F || DH1 || DH2 || DH3 || SS}).</li>
 *   <li>AEAD seal of {@code size} bytes ({@code size} = 100 B or 64 KiB) with 32 bytes of associated data:
 *   ChaCha20-Poly1305 (BC, new cipher per call as core-crypto does) and AES-256-GCM (JDK {@code Cipher},
 *   {@code getInstance + init + doFinal} per call as core-crypto does, fresh nonce per call).</li>
 * </ul>
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar PrimitiveBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s}
 * (e.g. {@code PrimitiveBenchmark.x25519} for just the X25519 ones).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PrimitiveBenchmark {

    private static final MLKEMParameters ML_KEM = MLKEMParameters.ml_kem_1024;
    private static final FalconParameters FALCON = FalconParameters.falcon_1024;

    private final SecureRandom random = new SecureRandom();

    // X25519 (BC)
    private final byte[] x25519PrivateA = new byte[32];
    private final byte[] x25519PublicB = new byte[32];
    private final byte[] x25519Shared = new byte[32];
    private final byte[] x25519PublicOut = new byte[32];

    // XDH (JDK)
    private KeyAgreement xdh;
    private KeyPair xdhA;
    private KeyPair xdhB;

    // Ed25519
    private final byte[] ed25519Private = new byte[32];
    private final byte[] ed25519Public = new byte[32];
    private final byte[] ed25519Signature = new byte[64];
    private final byte[] ed25519SignatureOut = new byte[64];
    private byte[] message;

    // ML-KEM-1024
    private MLKEMPublicKeyParameters mlkemPublic;
    private MLKEMPrivateKeyParameters mlkemPrivate;
    private byte[] mlkemPublicEncoded;
    private byte[] mlkemSeed;
    private byte[] mlkemCiphertext;
    private MLKEMGenerator mlkemGenerator;
    private MLKEMKeyPairGenerator mlkemKeyPairGenerator;

    // Falcon-1024
    private FalconPrivateKeyParameters falconPrivate;
    private FalconPublicKeyParameters falconPublic;
    private byte[] falconSignature;

    // HKDF
    private byte[] ikm;
    private byte[] salt;
    private byte[] info;

    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException {
        message = new byte[107];
        random.nextBytes(message);

        X25519.generatePrivateKey(random, x25519PrivateA);
        byte[] privateB = new byte[32];
        X25519.generatePrivateKey(random, privateB);
        X25519.generatePublicKey(privateB, 0, x25519PublicB, 0);

        KeyPairGenerator kpg = KeyPairGenerator.getInstance("X25519");
        xdhA = kpg.generateKeyPair();
        xdhB = kpg.generateKeyPair();
        xdh = KeyAgreement.getInstance("XDH");

        Ed25519.generatePrivateKey(random, ed25519Private);
        Ed25519.generatePublicKey(ed25519Private, 0, ed25519Public, 0);
        Ed25519.sign(ed25519Private, 0, message, 0, message.length, ed25519Signature, 0);

        mlkemKeyPairGenerator = new MLKEMKeyPairGenerator();
        mlkemKeyPairGenerator.init(new MLKEMKeyGenerationParameters(random, ML_KEM));
        AsymmetricCipherKeyPair kem = mlkemKeyPairGenerator.generateKeyPair();
        mlkemPublic = (MLKEMPublicKeyParameters) kem.getPublic();
        mlkemPrivate = (MLKEMPrivateKeyParameters) kem.getPrivate();
        mlkemPublicEncoded = mlkemPublic.getEncoded();
        mlkemSeed = mlkemPrivate.getSeed();
        mlkemGenerator = new MLKEMGenerator(random);
        SecretWithEncapsulation enc = mlkemGenerator.generateEncapsulated(mlkemPublic);
        mlkemCiphertext = enc.getEncapsulation();
        if (!Arrays.equals(enc.getSecret(), new MLKEMExtractor(mlkemPrivate).extractSecret(mlkemCiphertext))
                || !Arrays.equals(enc.getSecret(), mlkemDecapsulateFromSeed())) {
            throw new IllegalStateException("ML-KEM round trip failed");
        }

        FalconKeyPairGenerator falconGen = new FalconKeyPairGenerator();
        falconGen.init(new FalconKeyGenerationParameters(random, FALCON));
        AsymmetricCipherKeyPair falcon = falconGen.generateKeyPair();
        falconPrivate = (FalconPrivateKeyParameters) falcon.getPrivate();
        falconPublic = (FalconPublicKeyParameters) falcon.getPublic();
        falconSignature = falconSign();
        if (!falconVerify()) {
            throw new IllegalStateException("Falcon round trip failed");
        }

        ikm = new byte[160];
        random.nextBytes(ikm);
        salt = new byte[64];
        info = "securep2p/v1/handshake/CURVE25519_SHA-512_ML-KEM-1024\0".getBytes(StandardCharsets.US_ASCII);
        info = Arrays.copyOf(info, info.length + 64);

        if (!Arrays.equals(x25519AgreementBc(), x25519AgreementBc()) || xdhAgreementJdk().length != 32
                || !ed25519Verify()) {
            throw new IllegalStateException("sanity check failed");
        }
    }

    // ---------------------------------------------------------------- X25519

    @Benchmark
    public byte[] x25519AgreementBc() {
        if (!X25519.calculateAgreement(x25519PrivateA, 0, x25519PublicB, 0, x25519Shared, 0)) {
            throw new IllegalStateException("low-order point");
        }
        return x25519Shared;
    }

    @Benchmark
    public byte[] x25519AgreementJdkXdh() throws GeneralSecurityException {
        return xdhAgreementJdk();
    }

    private byte[] xdhAgreementJdk() throws GeneralSecurityException {
        xdh.init(xdhA.getPrivate());
        xdh.doPhase(xdhB.getPublic(), true);
        return xdh.generateSecret();
    }

    @Benchmark
    public byte[] x25519PublicKeyBc() {
        X25519.generatePublicKey(x25519PrivateA, 0, x25519PublicOut, 0);
        return x25519PublicOut;
    }

    // ---------------------------------------------------------------- Ed25519

    @Benchmark
    public byte[] ed25519Sign() {
        Ed25519.sign(ed25519Private, 0, message, 0, message.length, ed25519SignatureOut, 0);
        return ed25519SignatureOut;
    }

    @Benchmark
    public boolean ed25519Verify() {
        return Ed25519.verify(ed25519Signature, 0, ed25519Public, 0, message, 0, message.length);
    }

    // ---------------------------------------------------------------- ML-KEM-1024

    @Benchmark
    public SecretWithEncapsulation mlkem1024Encapsulate() {
        return mlkemGenerator.generateEncapsulated(mlkemPublic);
    }

    /** As core-crypto: parse (and modulus-check) the encoded key, then encapsulate. */
    @Benchmark
    public SecretWithEncapsulation mlkem1024EncapsulateFromEncoded() {
        return mlkemGenerator.generateEncapsulated(new MLKEMPublicKeyParameters(ML_KEM, mlkemPublicEncoded));
    }

    @Benchmark
    public byte[] mlkem1024Decapsulate() {
        return new MLKEMExtractor(mlkemPrivate).extractSecret(mlkemCiphertext);
    }

    /** As core-crypto, which stores the 64-byte seed: expand the key pair from the seed, then decapsulate. */
    @Benchmark
    public byte[] mlkem1024DecapsulateFromSeed() {
        return mlkemDecapsulateFromSeed();
    }

    private byte[] mlkemDecapsulateFromSeed() {
        return new MLKEMExtractor(new MLKEMPrivateKeyParameters(ML_KEM, mlkemSeed)).extractSecret(mlkemCiphertext);
    }

    @Benchmark
    public AsymmetricCipherKeyPair mlkem1024KeyGen() {
        return mlkemKeyPairGenerator.generateKeyPair();
    }

    // ---------------------------------------------------------------- Falcon-1024

    @Benchmark
    public byte[] falcon1024Sign() {
        return falconSign();
    }

    private byte[] falconSign() {
        FalconSigner signer = new FalconSigner();
        signer.init(true, new ParametersWithRandom(falconPrivate, random));
        return signer.generateSignature(message);
    }

    @Benchmark
    public boolean falcon1024Verify() {
        return falconVerify();
    }

    private boolean falconVerify() {
        FalconSigner verifier = new FalconSigner();
        verifier.init(false, falconPublic);
        return verifier.verifySignature(message, falconSignature);
    }

    // ---------------------------------------------------------------- HKDF

    @Benchmark
    public byte[] hkdfSha512Out64() {
        HKDFBytesGenerator gen = new HKDFBytesGenerator(new SHA512Digest());
        gen.init(new HKDFParameters(ikm, salt, info));
        byte[] out = new byte[64];
        gen.generateBytes(out, 0, out.length);
        return out;
    }

    // ---------------------------------------------------------------- AEAD

    /** AEAD inputs; a separate state so that only the AEAD benchmarks are run per {@code size}. */
    @State(Scope.Thread)
    public static class AeadInput {
        @Param({"100", "65536"})
        public int size;

        byte[] key;
        byte[] aad;
        byte[] plaintext;
        byte[] nonce;
        long counter;
        SecretKeySpec aesKey;

        @Setup(Level.Trial)
        public void setUp() {
            SecureRandom random = new SecureRandom();
            key = new byte[32];
            random.nextBytes(key);
            aesKey = new SecretKeySpec(key, "AES");
            aad = new byte[32];
            random.nextBytes(aad);
            plaintext = new byte[size];
            random.nextBytes(plaintext);
            nonce = new byte[12];
        }

        /** A distinct nonce per call (the JDK refuses to reuse a GCM key+IV pair on one Cipher anyway). */
        byte[] nextNonce() {
            long c = ++counter;
            for (int i = 0; i < 8; i++) {
                nonce[4 + i] = (byte) (c >>> (8 * i));
            }
            return nonce;
        }
    }

    @Benchmark
    public byte[] chacha20Poly1305SealBc(AeadInput in) throws InvalidCipherTextException {
        ChaCha20Poly1305 c = new ChaCha20Poly1305();
        c.init(true, new AEADParameters(new KeyParameter(in.key), 128, in.nextNonce(), in.aad));
        byte[] out = new byte[c.getOutputSize(in.plaintext.length)];
        int n = c.processBytes(in.plaintext, 0, in.plaintext.length, out, 0);
        c.doFinal(out, n);
        return out;
    }

    @Benchmark
    public byte[] aes256GcmSealJdk(AeadInput in) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, in.aesKey, new GCMParameterSpec(128, in.nextNonce()));
        c.updateAAD(in.aad);
        return c.doFinal(in.plaintext);
    }
}
