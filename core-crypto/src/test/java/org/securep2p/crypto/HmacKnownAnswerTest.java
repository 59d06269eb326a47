package org.securep2p.crypto;

import java.util.ArrayList;
import java.util.Arrays;
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
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.securep2p.crypto.KatAssertions.assertBytes;

/**
 * Proves that {@link Hmac} is RFC 2104 HMAC-SHA-256 / HMAC-SHA-512 on every Project Wycheproof case, for keys
 * shorter than, equal to and longer than the block size.
 *
 * <p>Full-length tags: a valid case's tag must equal {@code mac(...)} and pass {@code verify}; an invalid
 * (modified) tag must fail {@code verify}. Truncated tags (groups whose {@code tagSize} is below the hash
 * length) are not supported by the wrapper: for them, the valid tag must be the prefix of {@code mac(...)}
 * (the computation is right), an invalid one must not be, and {@code verify} must refuse both, because it
 * accepts full-length tags only.
 */
class HmacKnownAnswerTest {

    @TestFactory
    Stream<DynamicNode> wycheproofTagsMatchAndOnlyFullLengthTagsVerify() {
        return TestVectors.withVectors(() -> Stream.of(
                dynamicContainer("HMAC-SHA-256", cases("hmac_sha256_test.json", "HMACSHA256", HashFunction.SHA_256)),
                dynamicContainer("HMAC-SHA-512", cases("hmac_sha512_test.json", "HMACSHA512", HashFunction.SHA_512))));
    }

    private static Stream<DynamicTest> cases(String fileName, String algorithm, HashFunction hash) {
        WycheproofFile file = TestVectors.wycheproof(fileName, "mac_test_schema_v1.json", algorithm);
        CaseCounts counts = new CaseCounts();
        List<DynamicTest> tests = new ArrayList<>();
        for (WycheproofCase c : file.cases()) {
            byte[] key = c.bytes("key");
            byte[] msg = c.bytes("msg");
            byte[] tag = c.bytes("tag");
            int tagBytes = c.groupInt("tagSize") / 8;
            boolean fullLength = tagBytes == hash.outputLength();
            if (!c.isValid() && !c.isInvalid()) {
                tests.add(dynamicTest(c.displayName(), () -> fail(c + ": no rule for result " + c.result())));
            } else if (fullLength && c.isValid()) {
                counts.add(Kind.VALID);
                tests.add(dynamicTest(c.displayName(), () -> {
                    assertBytes(c, "tag", Hmac.mac(hash, key, msg), tag);
                    assertThat(Hmac.verify(hash, key, msg, tag)).as("%s: verify", c).isTrue();
                }));
            } else if (fullLength) {
                counts.add(Kind.INVALID);
                tests.add(dynamicTest(c.displayName(),
                        () -> assertThat(Hmac.verify(hash, key, msg, tag)).as("%s: verify", c).isFalse()));
            } else {
                counts.add(Kind.UNSUPPORTED);
                boolean valid = c.isValid();
                tests.add(dynamicTest(c.displayName() + " (truncated " + tagBytes + "-byte tag: unsupported)", () -> {
                    assertThat(tag).as("%s: tag length matches the group's tagSize", c).hasSize(tagBytes);
                    byte[] prefix = Arrays.copyOf(Hmac.mac(hash, key, msg), tagBytes);
                    if (valid) {
                        assertBytes(c, "truncated tag = prefix of the full tag", prefix, tag);
                    } else {
                        assertThat(TestVectors.hex(prefix)).as("%s: modified tag differs from the prefix", c)
                                .isNotEqualTo(TestVectors.hex(tag));
                    }
                    assertThat(Hmac.verify(hash, key, msg, tag)).as("%s: verify refuses a truncated tag", c).isFalse();
                }));
            }
        }
        tests.add(counts.coverageTest(file.name(), file.cases().size(), Kind.VALID, Kind.INVALID,
                Kind.UNSUPPORTED));
        return tests.stream();
    }
}
