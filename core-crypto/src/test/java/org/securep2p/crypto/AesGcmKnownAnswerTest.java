package org.securep2p.crypto;

import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Proves that {@link AeadAlgorithm#AES_256_GCM} is NIST SP 800-38D AES-256-GCM on every Project Wycheproof
 * case with a 256-bit key and a 96-bit nonce (including counter wrap-around and modified tags), and that
 * every case with a 128- or 192-bit key or a nonce of another length (including the empty one) is refused
 * with {@code UNSUPPORTED_PARAMETER}; the rules are those of {@link AeadVectorChecks}.
 */
class AesGcmKnownAnswerTest {

    @TestFactory
    Stream<DynamicNode> wycheproofCasesSealOpenOrAreRefused() {
        return TestVectors.withVectors(() -> AeadVectorChecks.cases(AeadAlgorithm.AES_256_GCM,
                TestVectors.wycheproof("aes_gcm_test.json", "aead_test_schema_v1.json", "AES-GCM")));
    }
}
