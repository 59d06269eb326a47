package org.securep2p.crypto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.securep2p.crypto.KatAssertions.assertBytes;

/**
 * Proves that {@link Falcon1024} is the NIST round-3 Falcon-1024 on all 100 records of the submission's
 * known-answer file: every KAT signature verifies (once converted to our encoding), a one-bit change of the
 * signature or of the message makes it fail, and, replaying the NIST harness's AES-256 CTR_DRBG
 * ({@link NistKatRandom}) from each record's seed, key generation yields the KAT public and private keys and
 * signing (continuing from the same generator) yields the KAT signature byte for byte.
 *
 * <p>Encodings: the KAT {@code pk} (header 0x0A) and {@code sk} (header 0x5A, then f, g, F) are ours as they
 * are. The KAT {@code sm} is {@code sig_len (2 bytes, big-endian) || nonce (40) || msg || 0x2A ||
 * compressed s2}, where {@code sig_len} counts the 0x2A header and the compressed part; our signature is
 * {@code 0x3A || nonce || compressed s2}.
 */
class Falcon1024KnownAnswerTest {

    private static final String KAT = "falcon/falcon1024-KAT.rsp";
    private static final int KAT_RECORDS = 100;
    private static final int NONCE_LENGTH = 40;

    @TestFactory
    Stream<DynamicNode> katSignaturesVerifyAndOneBitChangesDoNot() {
        return TestVectors.withVectors(() -> {
            List<Kat> kats = kats();
            List<DynamicContainer> out = new ArrayList<>();
            for (Kat k : kats) {
                out.add(dynamicContainer(k.id(), Stream.of(
                        dynamicTest("KAT signature verifies", () ->
                                assertThat(Falcon1024.verify(k.pk, k.msg, k.sig)).as("%s: verify", k.id()).isTrue()),
                        dynamicTest("signature with a flipped bit in the nonce fails", () ->
                                assertThat(Falcon1024.verify(k.pk, k.msg, flipBit(k.sig, 1 + NONCE_LENGTH / 2)))
                                        .as("%s: verify", k.id()).isFalse()),
                        dynamicTest("signature with a flipped bit in s2 fails", () ->
                                assertThat(Falcon1024.verify(k.pk, k.msg,
                                        flipBit(k.sig, 1 + NONCE_LENGTH + (k.sig.length - 1 - NONCE_LENGTH) / 2)))
                                        .as("%s: verify", k.id()).isFalse()),
                        dynamicTest("message with a flipped bit fails", () ->
                                assertThat(Falcon1024.verify(k.pk, flipBit(k.msg, k.msg.length / 2), k.sig))
                                        .as("%s: verify", k.id()).isFalse()))));
            }
            out.add(dynamicContainer("coverage", Stream.of(dynamicTest(kats.size() + " KAT records", () ->
                    assertThat(kats).as("records in %s", KAT).hasSize(KAT_RECORDS)))));
            return out.stream();
        });
    }

    @TestFactory
    Stream<DynamicNode> keyGenerationAndSigningFromTheKatSeedReproduceTheKat() {
        return TestVectors.withVectors(() -> {
            List<Kat> kats = kats();
            List<DynamicTest> out = new ArrayList<>();
            for (Kat k : kats) {
                out.add(dynamicTest(k.id() + ": keygen then sign from seed", () -> {
                    NistKatRandom drbg = new NistKatRandom(k.seed);
                    byte[][] pair = Falcon1024.generateKeyPair(drbg);
                    assertBytes(k.id(), "public key", pair[0], k.pk);
                    assertBytes(k.id(), "private key", pair[1], k.sk);
                    byte[] sig = Falcon1024.sign(pair[1], pair[0], k.msg, drbg);
                    assertBytes(k.id(), "signature", sig, k.sig);
                }));
            }
            out.add(dynamicTest("coverage: " + kats.size() + " KAT records",
                    () -> assertThat(kats).as("records in %s", KAT).hasSize(KAT_RECORDS)));
            return out.stream();
        });
    }

    private static byte[] flipBit(byte[] in, int index) {
        byte[] out = in.clone();
        out[index] ^= 0x01;
        return out;
    }

    private static List<Kat> kats() {
        List<Kat> out = new ArrayList<>();
        for (Map<String, String> r : TestVectors.records(KAT)) {
            out.add(Kat.parse(r));
        }
        return out;
    }

    /** One KAT record, with the signature converted to our encoding. */
    @SuppressWarnings("ArrayRecordComponent") // read-only test data, never compared or hashed
    private record Kat(int count, byte[] seed, byte[] msg, byte[] pk, byte[] sk, byte[] sig) {

        static Kat parse(Map<String, String> r) {
            int count = Integer.parseInt(r.get("count"));
            String id = "count " + count;
            byte[] msg = TestVectors.hex(r.get("msg"));
            assertThat(msg).as("%s: mlen", id).hasSize(Integer.parseInt(r.get("mlen")));
            byte[] sm = TestVectors.hex(r.get("sm"));
            assertThat(sm).as("%s: smlen", id).hasSize(Integer.parseInt(r.get("smlen")));
            int sigLen = ((sm[0] & 0xff) << 8) | (sm[1] & 0xff);
            int sigStart = 2 + NONCE_LENGTH + msg.length;
            assertThat(sm.length).as("%s: sm = 2 + nonce + msg + sig_len", id).isEqualTo(sigStart + sigLen);
            assertBytes(id, "message inside sm", Arrays.copyOfRange(sm, 2 + NONCE_LENGTH, sigStart), msg);
            assertThat(sm[sigStart]).as("%s: compressed-signature header", id).isEqualTo((byte) 0x2A);
            byte[] sig = Bytes.concat(new byte[] {0x3A}, Arrays.copyOfRange(sm, 2, 2 + NONCE_LENGTH),
                    Arrays.copyOfRange(sm, sigStart + 1, sm.length));
            byte[] pk = TestVectors.hex(r.get("pk"));
            byte[] sk = TestVectors.hex(r.get("sk"));
            assertThat(pk).as("%s: pk", id).hasSize(Falcon1024.PUBLIC_KEY_LENGTH).startsWith((byte) 0x0A);
            assertThat(sk).as("%s: sk", id).hasSize(Falcon1024.PRIVATE_KEY_LENGTH).startsWith((byte) 0x5A);
            return new Kat(count, TestVectors.hex(r.get("seed")), msg, pk, sk, sig);
        }

        String id() {
            return "count " + count;
        }
    }
}
