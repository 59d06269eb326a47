package org.securep2p.crypto;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.securep2p.crypto.CaseCounts.Kind;
import org.securep2p.crypto.TestVectors.WycheproofCase;
import org.securep2p.crypto.TestVectors.WycheproofFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.DECRYPT_FAILED;
import static org.securep2p.crypto.CryptoException.Reason.UNSUPPORTED_PARAMETER;
import static org.securep2p.crypto.KatAssertions.assertBytes;
import static org.securep2p.crypto.KatAssertions.assertRejected;

/**
 * The Wycheproof {@code aead_test_schema_v1} checks shared by the AEAD known-answer tests.
 *
 * <ul>
 *   <li>Supported parameters (32-byte key, 12-byte nonce, 16-byte tag), valid: {@code seal} must give exactly
 *   {@code ct || tag} and {@code open} must give back exactly {@code msg}.</li>
 *   <li>Supported parameters, invalid (a modified tag, ...): {@code open} must fail with
 *   {@code DECRYPT_FAILED} ({@code BAD_ENCODING} if {@code ct || tag} is shorter than a tag).</li>
 *   <li>Key or nonce of another size, whatever the verdict: {@code seal} and {@code open} must both be refused
 *   with {@code UNSUPPORTED_PARAMETER}.</li>
 *   <li>Tag of another size: the wrappers take no tag size, so {@code open(ct || tag)} must fail with a
 *   {@link CryptoException} rather than return the plaintext.</li>
 * </ul>
 * The coverage test fails if a file yields no supported valid or no supported invalid case.
 */
final class AeadVectorChecks {

    private AeadVectorChecks() {
    }

    static Stream<DynamicTest> cases(AeadAlgorithm algorithm, WycheproofFile file) {
        CaseCounts counts = new CaseCounts();
        List<DynamicTest> tests = new ArrayList<>();
        for (WycheproofCase c : file.cases()) {
            byte[] key = c.bytes("key");
            byte[] iv = c.bytes("iv");
            byte[] aad = c.bytes("aad");
            byte[] msg = c.bytes("msg");
            byte[] ct = c.bytes("ct");
            byte[] tag = c.bytes("tag");
            byte[] ctAndTag = Bytes.concat(ct, tag);
            boolean keyAndNonceSupported = key.length == AeadAlgorithm.KEY_LENGTH
                    && iv.length == AeadAlgorithm.NONCE_LENGTH;
            boolean tagSupported = c.groupInt("tagSize") == 8 * AeadAlgorithm.TAG_LENGTH;
            String params = c.groupInt("keySize") + "-bit key, " + c.groupInt("ivSize") + "-bit nonce, "
                    + c.groupInt("tagSize") + "-bit tag";
            if (!c.isValid() && !c.isInvalid()) {
                tests.add(dynamicTest(c.displayName(), () -> fail(c + ": no rule for result " + c.result())));
            } else if (!keyAndNonceSupported) {
                counts.add(Kind.UNSUPPORTED);
                tests.add(dynamicTest(c.displayName() + " (" + params + ": unsupported)", () -> {
                    assertRejected(c, UNSUPPORTED_PARAMETER, () -> algorithm.seal(key, iv, aad, msg));
                    assertRejected(c, UNSUPPORTED_PARAMETER, () -> algorithm.open(key, iv, aad, ctAndTag));
                }));
            } else if (!tagSupported) {
                counts.add(Kind.UNSUPPORTED);
                tests.add(dynamicTest(c.displayName() + " (" + params + ": unsupported)", () ->
                        assertThatThrownBy(() -> algorithm.open(key, iv, aad, ctAndTag))
                                .as("%s: a %d-bit tag must not open", c, c.groupInt("tagSize"))
                                .isInstanceOf(CryptoException.class)));
            } else if (c.isValid()) {
                counts.add(Kind.VALID);
                tests.add(dynamicTest(c.displayName(), () -> {
                    assertThat(tag).as("%s: tag length", c).hasSize(AeadAlgorithm.TAG_LENGTH);
                    assertBytes(c, "seal = ct || tag", algorithm.seal(key, iv, aad, msg), ctAndTag);
                    assertBytes(c, "open = msg", algorithm.open(key, iv, aad, ctAndTag), msg);
                }));
            } else {
                counts.add(Kind.INVALID);
                CryptoException.Reason reason = ctAndTag.length < AeadAlgorithm.TAG_LENGTH ? BAD_ENCODING
                        : DECRYPT_FAILED;
                tests.add(dynamicTest(c.displayName(),
                        () -> assertRejected(c, reason, () -> algorithm.open(key, iv, aad, ctAndTag))));
            }
        }
        tests.add(counts.coverageTest(file.name(), file.cases().size(), Kind.VALID, Kind.INVALID));
        return tests.stream();
    }
}
