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

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Proves that {@link Ed25519#verify} (RFC 8032, pure Ed25519) accepts every valid Project Wycheproof signature
 * and answers {@code false} (never throws) for every invalid one: malleable {@code S >= L}, non-canonical
 * encodings, truncated or padded signatures, wrong keys. Wycheproof has no {@code acceptable} Ed25519 cases;
 * one appearing would fail here, to be given a rule.
 */
class Ed25519KnownAnswerTest {

    @TestFactory
    Stream<DynamicNode> wycheproofSignaturesAreAcceptedExactlyWhenValid() {
        return TestVectors.withVectors(() -> {
            WycheproofFile file = TestVectors.wycheproof("ed25519_test.json", "eddsa_verify_schema_v1.json", "EDDSA");
            CaseCounts counts = new CaseCounts();
            List<DynamicTest> tests = new ArrayList<>();
            for (WycheproofCase c : file.cases()) {
                String curve = c.group().path("publicKey").path("curve").asText();
                if (!"edwards25519".equals(curve)) {
                    tests.add(dynamicTest(c.displayName(), () -> fail(c + ": unexpected curve " + curve)));
                    continue;
                }
                byte[] pk = TestVectors.hex(c.group().path("publicKey").path("pk").asText());
                byte[] msg = c.bytes("msg");
                byte[] sig = c.bytes("sig");
                if (c.isValid()) {
                    counts.add(Kind.VALID);
                    tests.add(dynamicTest(c.displayName(),
                            () -> assertThat(Ed25519.verify(pk, msg, sig)).as("%s: verify", c).isTrue()));
                } else if (c.isInvalid()) {
                    counts.add(Kind.INVALID);
                    tests.add(dynamicTest(c.displayName(),
                            () -> assertThat(Ed25519.verify(pk, msg, sig)).as("%s: verify", c).isFalse()));
                } else {
                    tests.add(dynamicTest(c.displayName(), () -> fail(c + ": no rule for result " + c.result())));
                }
            }
            tests.add(counts.coverageTest(file.name(), file.cases().size(), Kind.VALID, Kind.INVALID));
            return tests.stream();
        });
    }
}
