package org.securep2p.crypto;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.securep2p.crypto.CaseCounts.Kind;
import org.securep2p.crypto.TestVectors.WycheproofCase;
import org.securep2p.crypto.TestVectors.WycheproofFile;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.securep2p.crypto.CryptoException.Reason.LOW_ORDER_POINT;
import static org.securep2p.crypto.KatAssertions.assertRejected;
import static org.securep2p.crypto.KatAssertions.assertSecret;

/**
 * Proves that {@link X25519#agree} computes RFC 7748 X25519 exactly on every Project Wycheproof case and
 * refuses, with {@code LOW_ORDER_POINT}, every case whose shared secret would be all zeros.
 *
 * <p>Rule for Wycheproof's {@code acceptable} cases (all of them are about the peer's public key):
 * <ul>
 *   <li>flags {@code ZeroSharedSecret} / {@code LowOrderPublic} (and any case whose expected secret is all
 *   zeros): we MUST reject with {@code LOW_ORDER_POINT} (RFC 7748, section 6.1, "check for the all-zero
 *   value"); returning the zero secret would let a peer force a known key.</li>
 *   <li>every other acceptable case ({@code Twist}, {@code NonCanonicalPublic}, {@code SpecialPublicKey},
 *   {@code SmallPublicKey}, {@code EdgeCase*}): RFC 7748, section 5, requires accepting any 32-byte
 *   u-coordinate (masking bit 255, reducing non-canonical values), so the wrapper must accept and produce
 *   exactly the expected shared secret.</li>
 * </ul>
 */
class X25519KnownAnswerTest {

    @TestFactory
    Stream<DynamicNode> wycheproofCasesGiveTheExpectedSecretOrAreRefused() {
        return TestVectors.withVectors(() -> {
            WycheproofFile file = TestVectors.wycheproof("x25519_test.json", "xdh_comp_schema_v1.json", "XDH");
            CaseCounts counts = new CaseCounts();
            List<DynamicTest> tests = new ArrayList<>();
            for (WycheproofCase c : file.cases()) {
                if (!"curve25519".equals(c.group().path("curve").asText())) {
                    tests.add(dynamicTest(c.displayName(), () -> fail(c + ": unexpected curve " + c.group())));
                    continue;
                }
                byte[] priv = c.bytes("private");
                byte[] pub = c.bytes("public");
                byte[] shared = c.bytes("shared");
                boolean zeroSecret = Bytes.isAllZero(shared) || c.hasFlag("ZeroSharedSecret")
                        || c.hasFlag("LowOrderPublic");
                if (c.isValid()) {
                    counts.add(Kind.VALID);
                    tests.add(dynamicTest(c.displayName(),
                            () -> assertSecret(c, "shared secret", X25519.agree(priv, pub), shared)));
                } else if (c.isAcceptable() && zeroSecret) {
                    counts.add(Kind.ACCEPTABLE);
                    tests.add(dynamicTest(c.displayName() + " -> must refuse",
                            () -> assertRejected(c, LOW_ORDER_POINT, () -> X25519.agree(priv, pub))));
                } else if (c.isAcceptable()) {
                    counts.add(Kind.ACCEPTABLE);
                    tests.add(dynamicTest(c.displayName() + " -> must accept",
                            () -> assertSecret(c, "shared secret", X25519.agree(priv, pub), shared)));
                } else if (c.isInvalid()) {
                    counts.add(Kind.INVALID);
                    tests.add(dynamicTest(c.displayName(), () -> {
                        try (SecretBytes s = X25519.agree(priv, pub)) {
                            fail(c + ": invalid case accepted, returned " + s.length() + " bytes");
                        } catch (CryptoException expected) {
                            // refused, as an invalid case must be
                        }
                    }));
                } else {
                    tests.add(dynamicTest(c.displayName(), () -> fail(c + ": unknown result " + c.result())));
                }
            }
            tests.add(counts.coverageTest(file.name(), file.cases().size(), Kind.VALID, Kind.ACCEPTABLE));
            return tests.stream();
        });
    }
}
