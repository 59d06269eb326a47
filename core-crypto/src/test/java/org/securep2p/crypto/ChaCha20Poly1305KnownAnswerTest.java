package org.securep2p.crypto;

import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Proves that {@link AeadAlgorithm#CHACHA20_POLY1305} is RFC 8439 ChaCha20-Poly1305 on every Project
 * Wycheproof case (Poly1305 and counter edge cases, modified tags) and refuses nonces other than 96 bits with
 * {@code UNSUPPORTED_PARAMETER}; the rules are those of {@link AeadVectorChecks}. The RFC 8439 section 2.8.2
 * and A.5 vectors are in {@link RfcKnownAnswerTest}.
 */
class ChaCha20Poly1305KnownAnswerTest {

    @TestFactory
    Stream<DynamicNode> wycheproofCasesSealOpenOrAreRefused() {
        return TestVectors.withVectors(() -> AeadVectorChecks.cases(AeadAlgorithm.CHACHA20_POLY1305,
                TestVectors.wycheproof("chacha20_poly1305_test.json", "aead_test_schema_v1.json",
                        "CHACHA20-POLY1305")));
    }
}
