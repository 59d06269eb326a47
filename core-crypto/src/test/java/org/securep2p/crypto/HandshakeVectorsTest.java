package org.securep2p.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The published handshake test vectors ({@code docs/vectors/handshake-v1.txt}) are what this code produces
 * from their fixed seed, and a responder given the published private keys derives the published secret from
 * the published bytes. Regenerate after an intended protocol change with
 * {@code mvn -pl core-crypto test -Dtest=HandshakeVectorsTest -Dsecurep2p.regenerateVectors=true}.
 */
class HandshakeVectorsTest {

    static final Path FILE = Path.of("..", "docs", "vectors", "handshake-v1.txt");
    static final String SEED = "securep2p handshake test vectors v1";
    static final byte[] PAYLOAD = "securep2p test vector payload".getBytes(StandardCharsets.US_ASCII);

    @Test
    void publishedVectorsAreReproducedFromTheirSeed() throws Exception {
        String generated = generate();
        if (Boolean.getBoolean("securep2p.regenerateVectors")) {
            Files.writeString(FILE, generated, StandardCharsets.US_ASCII);
        }
        assertThat(Files.readString(FILE, StandardCharsets.US_ASCII)).isEqualTo(generated);
    }

    @Test
    void responderDerivesThePublishedSecretFromThePublishedBytes() throws Exception {
        for (Map<String, String> v : parse(Files.readString(FILE, StandardCharsets.US_ASCII)).values()) {
            byte[][] derived = deriveFromPublishedKeys(v);
            assertThat(Hex.toHexString(derived[0])).isEqualTo(v.get("transcript_hash"));
            assertThat(Hex.toHexString(derived[1], 0, 32)).isEqualTo(v.get("session_secret"));
            assertThat(Hex.toHexString(derived[1], 32, 32)).isEqualTo(v.get("confirmation_key"));
        }
    }

    /**
     * {transcript hash, SK || KC} recomputed from the published bundle, message and Bob's published private
     * keys alone, as an independent implementation would: the four agreements, the KEM secret, the KDF.
     */
    private static byte[][] deriveFromPublishedKeys(Map<String, String> v) throws CryptoException {
        SecurityLevel level = SecurityLevel.valueOf(v.get("level"));
        PreKeyBundle bundle = PreKeyBundle.decode(Hex.decode(v.get("bundle")));
        InitialMessage message = InitialMessage.decode(Hex.decode(v.get("initial_message")));
        byte[] spk = Hex.decode(v.get("bob_signed_prekey_private"));
        byte[] ek = message.ephemeralKey();
        byte[] ikm = Bytes.concat(filledFF(),
                X25519.agree(spk, message.initiator().x25519()).copyBytes(),
                X25519.agree(Hex.decode(v.get("bob_identity_x25519_private")), ek).copyBytes(),
                X25519.agree(spk, ek).copyBytes(),
                X25519.agree(Hex.decode(v.get("bob_one_time_prekey_1_private")), ek).copyBytes(),
                level.usesKemPreKey() ? MlKem1024.decapsulate(Hex.decode(v.get("bob_last_resort_kem_seed")),
                        message.kemCiphertext()).copyBytes() : new byte[0]);
        HandshakeTranscript t = Transcript.hash(level, message.initiator(), bundle.identity(),
                bundle.signedPreKey(), bundle.oneTimePreKey().orElseThrow(),
                level.usesKemPreKey() ? bundle.kemPreKey().orElseThrow() : null, message.kemCiphertext(), ek);
        byte[] info = Bytes.concat(Labels.terminated(level.kdfInfoLabel()), t.hash());
        byte[] okm = Hkdf.derive(level.kdfHash(), ikm, new byte[level.kdfHash().outputLength()], info, 64)
                .copyBytes();
        return new byte[][] {t.hash(), okm};
    }

    private static byte[] filledFF() {
        byte[] f = new byte[32];
        java.util.Arrays.fill(f, (byte) 0xFF);
        return f;
    }

    static String generate() throws CryptoException {
        StringBuilder out = new StringBuilder();
        out.append("# securep2p hybrid handshake test vectors, protocol version 1 (docs/PROTOCOL.md).\n")
                .append("# Randomness: the SHAKE256 output stream of the ASCII seed below; the clock is ")
                .append(Parties.CLOCK.instant()).append(".\n")
                .append("# Alice (initiator) holds no prekeys; Bob (responder) offers one one-time X25519 prekey ")
                .append("and his last-resort ML-KEM-1024 prekey. All values are hex unless noted.\n");
        for (SecurityLevel level : SecurityLevel.values()) {
            Parties p = new Parties(SEED + " " + level.name(), 1, 0);
            PreKeyBundle bundle = p.bob.preKeyBundle();
            Map<String, String> v = new LinkedHashMap<>();
            v.put("level", level.name());
            v.put("seed", SEED + " " + level.name());
            v.put("alice_identity", Hex.toHexString(p.alice.identity().encoded()));
            v.put("alice_fingerprint", p.alice.identity().fingerprint().displayString());
            v.put("bob_identity", Hex.toHexString(p.bob.identity().encoded()));
            v.put("bob_fingerprint", p.bob.identity().fingerprint().displayString());
            v.put("safety_number", SafetyNumber.of(p.alice.identity().fingerprint(),
                    p.bob.identity().fingerprint()).digits());
            p.alice.privateKeysForTestVectors().forEach((k, b) -> {
                if (k.startsWith("identity_x25519")) {
                    v.put("alice_" + k, Hex.toHexString(b));
                }
            });
            p.bob.privateKeysForTestVectors().forEach((k, b) -> {
                if (!k.startsWith("identity_ed25519")) {
                    v.put("bob_" + k, Hex.toHexString(b));
                }
            });
            v.put("bundle", Hex.toHexString(bundle.encode()));
            v.put("payload", Hex.toHexString(PAYLOAD));
            try (HandshakeResult a = p.handshake.initiate(p.alice, bundle, level, p.bob.identity().fingerprint(),
                    PAYLOAD)) {
                v.put("initial_message", Hex.toHexString(a.initialMessage().orElseThrow().encode()));
                v.put("transcript_hash", Hex.toHexString(a.transcriptHash()));
                v.put("session_secret", Hex.toHexString(a.sessionSecret().copyBytes()));
                try (HandshakeResult b = p.handshake.respond(p.bob, bundle, a.initialMessage().orElseThrow(), level)) {
                    if (!b.sessionSecret().equalsConstantTime(a.sessionSecret())) {
                        throw new AssertionError("vector generation: sides disagree at " + level);
                    }
                }
            }
            v.put("confirmation_key", confirmationKey(v));
            out.append('\n');
            v.forEach((k, val) -> out.append(k).append(" = ").append(val).append('\n'));
        }
        return out.toString();
    }

    private static String confirmationKey(Map<String, String> v) throws CryptoException {
        return Hex.toHexString(deriveFromPublishedKeys(v)[1], 32, 32);
    }

    static Map<String, Map<String, String>> parse(String text) throws IOException {
        Map<String, Map<String, String>> byLevel = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String line : text.lines().toList()) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf(" = ");
            String key = line.substring(0, eq);
            String value = line.substring(eq + 3);
            if (key.equals("level")) {
                current = new LinkedHashMap<>();
                byLevel.put(value, current);
            }
            current.put(key, value);
        }
        assertThat(byLevel).containsOnlyKeys("STANDARD", "ENHANCED", "QUANTUM_RESISTANT");
        return byLevel;
    }
}
