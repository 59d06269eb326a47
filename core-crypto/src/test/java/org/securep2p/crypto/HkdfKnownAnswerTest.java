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
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.securep2p.crypto.CryptoException.Reason.UNSUPPORTED_PARAMETER;
import static org.securep2p.crypto.KatAssertions.assertRejected;
import static org.securep2p.crypto.KatAssertions.assertSecret;

/**
 * Proves that {@link Hkdf#derive} is RFC 5869 HKDF over SHA-256 and SHA-512 on every Project Wycheproof case,
 * including the empty salt (which must equal a salt of HashLen zeros, RFC 5869 section 2.2) and the largest
 * output, 255 * HashLen; the invalid cases (output longer than 255 * HashLen) must be refused with
 * {@code UNSUPPORTED_PARAMETER}. The RFC 5869 appendix A vectors are in {@link RfcKnownAnswerTest}.
 */
class HkdfKnownAnswerTest {

    @TestFactory
    Stream<DynamicNode> wycheproofOutputsMatchAndOversizedOutputsAreRefused() {
        return TestVectors.withVectors(() -> Stream.of(
                dynamicContainer("HKDF-SHA-256", cases("hkdf_sha256_test.json", "HKDF-SHA-256", HashFunction.SHA_256)),
                dynamicContainer("HKDF-SHA-512",
                        cases("hkdf_sha512_test.json", "HKDF-SHA-512", HashFunction.SHA_512))));
    }

    private static Stream<DynamicTest> cases(String fileName, String algorithm, HashFunction hash) {
        WycheproofFile file = TestVectors.wycheproof(fileName, "hkdf_test_schema_v1.json", algorithm);
        CaseCounts counts = new CaseCounts();
        List<DynamicTest> tests = new ArrayList<>();
        for (WycheproofCase c : file.cases()) {
            byte[] ikm = c.bytes("ikm");
            byte[] salt = c.bytes("salt");
            byte[] info = c.bytes("info");
            int size = c.intField("size");
            if (c.isValid()) {
                counts.add(Kind.VALID);
                byte[] okm = c.bytes("okm");
                tests.add(dynamicTest(c.displayName(), () -> {
                    assertSecret(c, "okm", Hkdf.derive(hash, ikm, salt, info, size), okm);
                    if (salt.length == 0) {
                        assertSecret(c, "okm with an explicit salt of HashLen zeros",
                                Hkdf.derive(hash, ikm, new byte[hash.outputLength()], info, size), okm);
                    }
                }));
            } else if (c.isInvalid()) {
                counts.add(Kind.INVALID);
                tests.add(dynamicTest(c.displayName(), () -> assertRejected(c, UNSUPPORTED_PARAMETER,
                        () -> Hkdf.derive(hash, ikm, salt, info, size).close())));
            } else {
                tests.add(dynamicTest(c.displayName(), () -> fail(c + ": no rule for result " + c.result())));
            }
        }
        tests.add(counts.coverageTest(file.name(), file.cases().size(), Kind.VALID, Kind.INVALID));
        return tests.stream();
    }
}
