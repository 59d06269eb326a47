package org.securep2p.crypto;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Assertions shared by the known-answer tests; every message names the case it is about. */
final class KatAssertions {

    private KatAssertions() {
    }

    /** Byte strings compared as hex, so that a failure shows where they differ. */
    static void assertBytes(Object caseId, String what, byte[] actual, byte[] expected) {
        assertThat(TestVectors.hex(actual)).as("%s: %s", caseId, what).isEqualTo(TestVectors.hex(expected));
    }

    /** The secret's bytes, compared as hex; the secret is closed (wiped) afterwards. */
    static void assertSecret(Object caseId, String what, SecretBytes actual, byte[] expected) {
        try (SecretBytes s = actual) {
            assertBytes(caseId, what, s.copyBytes(), expected);
        }
    }

    /** {@code call} must fail with a {@link CryptoException} carrying {@code reason}, not return a result. */
    static void assertRejected(Object caseId, CryptoException.Reason reason, ThrowingCallable call) {
        assertThatThrownBy(call)
                .as("%s: must be refused with %s", caseId, reason)
                .isInstanceOfSatisfying(CryptoException.class,
                        e -> assertThat(e.reason()).as("%s: refusal reason", caseId).isEqualTo(reason));
    }
}
