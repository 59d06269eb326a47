package org.securep2p.crypto;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.securep2p.crypto.KatAssertions.assertBytes;
import static org.securep2p.crypto.KatAssertions.assertSecret;
import static org.securep2p.crypto.TestVectors.hex;

/**
 * Proves the wrappers against the test vectors printed in the RFCs that define them, typed in from the RFC
 * texts (they need no vector folder): X25519 (RFC 7748 sections 5.2 and 6.1, including the 1- and
 * 1,000-iteration tests; the 1,000,000-iteration test is left out for time), Ed25519 (RFC 8032 section 7.1,
 * TEST 1, 2, 3 and SHA(abc)), HKDF-SHA-256 (RFC 5869 appendix A.1 to A.3) and the ChaCha20-Poly1305 AEAD
 * (RFC 8439 section 2.8.2 and appendix A.5).
 */
class RfcKnownAnswerTest {

    // ---------------------------------------------------------------- RFC 7748, X25519

    @Test
    void x25519MatchesRfc7748Section52FirstVector() throws CryptoException {
        assertSecret("RFC 7748 5.2 #1", "output u",
                X25519.agree(hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                        hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")),
                hex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"));
    }

    /** The input u has bit 255 set: it must be masked, not refused. */
    @Test
    void x25519MatchesRfc7748Section52SecondVectorWithHighBitSet() throws CryptoException {
        assertSecret("RFC 7748 5.2 #2", "output u",
                X25519.agree(hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                        hex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")),
                hex("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"));
    }

    /** k = u = 9; each round {@code k, u = X25519(k, u), k}. */
    @Test
    void x25519IteratedOnceAndAThousandTimesMatchesRfc7748Section52() throws CryptoException {
        byte[] k = new byte[32];
        k[0] = 9;
        byte[] u = k.clone();
        for (int i = 1; i <= 1000; i++) {
            byte[] next;
            try (SecretBytes s = X25519.agree(k, u)) {
                next = s.copyBytes();
            }
            u = k;
            k = next;
            if (i == 1) {
                assertBytes("RFC 7748 5.2", "k after 1 iteration", k,
                        hex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"));
            }
        }
        assertBytes("RFC 7748 5.2", "k after 1,000 iterations", k,
                hex("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"));
    }

    @Test
    void x25519DiffieHellmanMatchesRfc7748Section61() throws CryptoException {
        byte[] alicePrivate = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] alicePublic = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        byte[] bobPrivate = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        byte[] bobPublic = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        byte[] shared = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

        assertBytes("RFC 7748 6.1", "Alice's public key", X25519.publicKey(alicePrivate), alicePublic);
        assertBytes("RFC 7748 6.1", "Bob's public key", X25519.publicKey(bobPrivate), bobPublic);
        assertSecret("RFC 7748 6.1", "K computed by Alice", X25519.agree(alicePrivate, bobPublic), shared);
        assertSecret("RFC 7748 6.1", "K computed by Bob", X25519.agree(bobPrivate, alicePublic), shared);
    }

    // ---------------------------------------------------------------- RFC 8032, Ed25519

    @Test
    void ed25519MatchesRfc8032Test1EmptyMessage() throws CryptoException {
        checkEd25519("RFC 8032 7.1 TEST 1",
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                        + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    }

    @Test
    void ed25519MatchesRfc8032Test2OneByteMessage() throws CryptoException {
        checkEd25519("RFC 8032 7.1 TEST 2",
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                        + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
    }

    @Test
    void ed25519MatchesRfc8032Test3TwoByteMessage() throws CryptoException {
        checkEd25519("RFC 8032 7.1 TEST 3",
                "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
                "af82",
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
                        + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a");
    }

    /** The message is SHA-512("abc"), signed with pure Ed25519. */
    @Test
    void ed25519MatchesRfc8032TestShaAbc() throws CryptoException {
        byte[] shaAbc = HashFunction.SHA_512.hash("abc".getBytes(StandardCharsets.US_ASCII));
        String message = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
        assertBytes("RFC 8032 7.1 TEST SHA(abc)", "message = SHA-512(abc)", shaAbc, hex(message));
        checkEd25519("RFC 8032 7.1 TEST SHA(abc)",
                "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
                "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
                message,
                "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
                        + "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704");
    }

    private static void checkEd25519(String id, String secretKey, String publicKey, String message,
            String signature) throws CryptoException {
        byte[] sk = hex(secretKey);
        byte[] pk = hex(publicKey);
        byte[] msg = hex(message);
        byte[] sig = hex(signature);
        assertBytes(id, "public key", Ed25519.publicKey(sk), pk);
        assertBytes(id, "signature", Ed25519.sign(sk, msg), sig);
        assertThat(Ed25519.verify(pk, msg, sig)).as("%s: verify", id).isTrue();
    }

    // ---------------------------------------------------------------- RFC 5869, HKDF-SHA-256

    @Test
    void hkdfSha256MatchesRfc5869A1BasicCase() throws CryptoException {
        assertSecret("RFC 5869 A.1", "OKM",
                Hkdf.derive(HashFunction.SHA_256, hex("0b".repeat(22)), hex("000102030405060708090a0b0c"),
                        hex("f0f1f2f3f4f5f6f7f8f9"), 42),
                hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"));
    }

    @Test
    void hkdfSha256MatchesRfc5869A2LongerInputsAndOutput() throws CryptoException {
        assertSecret("RFC 5869 A.2", "OKM",
                Hkdf.derive(HashFunction.SHA_256, counting(0x00, 80), counting(0x60, 80), counting(0xb0, 80), 82),
                hex("b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                        + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                        + "cc30c58179ec3e87c14c01d5c1f3434f1d87"));
    }

    /** Salt and info empty: the salt is HashLen zeros (RFC 5869, section 2.2). */
    @Test
    void hkdfSha256MatchesRfc5869A3EmptySaltAndInfo() throws CryptoException {
        assertSecret("RFC 5869 A.3", "OKM",
                Hkdf.derive(HashFunction.SHA_256, hex("0b".repeat(22)), new byte[0], new byte[0], 42),
                hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"));
    }

    /** {@code first, first + 1, ...}: the inputs of RFC 5869 A.2. */
    private static byte[] counting(int first, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = (byte) (first + i);
        }
        return out;
    }

    // ---------------------------------------------------------------- RFC 8439, ChaCha20-Poly1305

    @Test
    void chaCha20Poly1305SealsAndOpensRfc8439Section282() throws CryptoException {
        byte[] plaintext = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
                + "the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
        byte[] key = counting(0x80, 32);
        byte[] nonce = hex("070000004041424344454647");
        byte[] aad = hex("50515253c0c1c2c3c4c5c6c7");
        byte[] ctAndTag = hex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                + "3ff4def08e4b7a9de576d26586cec64b6116"
                + "1ae10b594f09e26a7e902ecbd0600691");
        AeadAlgorithm aead = AeadAlgorithm.CHACHA20_POLY1305;
        assertBytes("RFC 8439 2.8.2", "ciphertext || tag", aead.seal(key, nonce, aad, plaintext), ctAndTag);
        assertBytes("RFC 8439 2.8.2", "plaintext", aead.open(key, nonce, aad, ctAndTag), plaintext);
    }

    @Test
    void chaCha20Poly1305OpensRfc8439AppendixA5() throws CryptoException {
        byte[] key = hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
        byte[] nonce = hex("000000000102030405060708");
        byte[] aad = hex("f33388860000000000004e91");
        byte[] ctAndTag = hex("64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
                + "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
                + "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
                + "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
                + "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
                + "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
                + "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
                + "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
                + "a6ad5cb4022b02709b"
                + "eead9d67890cbb22392336fea1851f38");
        byte[] plaintext = ("Internet-Drafts are draft documents valid for a maximum of six months and may be "
                + "updated, replaced, or obsoleted by other documents at any time. It is inappropriate to use "
                + "Internet-Drafts as reference material or to cite them other than as "
                + "/\u201cwork in progress./\u201d").getBytes(StandardCharsets.UTF_8);
        AeadAlgorithm aead = AeadAlgorithm.CHACHA20_POLY1305;
        assertBytes("RFC 8439 A.5", "plaintext", aead.open(key, nonce, aad, ctAndTag), plaintext);
        assertBytes("RFC 8439 A.5", "ciphertext || tag", aead.seal(key, nonce, aad, plaintext), ctAndTag);
    }
}
