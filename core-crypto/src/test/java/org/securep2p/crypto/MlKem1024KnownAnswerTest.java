package org.securep2p.crypto;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.securep2p.crypto.CaseCounts.Kind;
import org.securep2p.crypto.MlKem1024.Encapsulation;
import org.securep2p.crypto.TestVectors.WycheproofCase;
import org.securep2p.crypto.TestVectors.WycheproofFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.KatAssertions.assertBytes;
import static org.securep2p.crypto.KatAssertions.assertRejected;
import static org.securep2p.crypto.KatAssertions.assertSecret;

/**
 * Proves that {@link MlKem1024} is FIPS 203 ML-KEM-1024 on the NIST ACVP vectors (key generation from
 * {@code d || z}, encapsulation with a given {@code m}, decapsulation including implicit rejection of modified
 * ciphertexts) and on the Project Wycheproof ML-KEM-1024 files, whose invalid cases must all be refused with
 * {@code BAD_ENCODING}: encapsulation keys failing the modulus check of FIPS 203 section 7.2 or of the wrong
 * length, ciphertexts of the wrong length, private keys of the wrong length, and expanded decapsulation keys
 * failing the hash check of section 7.3. ML-KEM has no {@code acceptable} Wycheproof cases.
 */
class MlKem1024KnownAnswerTest {

    private static final String PARAMETER_SET = "ML-KEM-1024";

    // ---------------------------------------------------------------- NIST ACVP

    @TestFactory
    Stream<DynamicNode> acvpKeyGenerationFromDAndZGivesEkAndDk() {
        return TestVectors.withVectors(() -> {
            List<Map<String, String>> records = TestVectors.records("acvp-mlkem/keyGen_ML-KEM-1024.txt");
            List<DynamicTest> tests = new ArrayList<>();
            for (int i = 0; i < records.size(); i++) {
                Map<String, String> r = records.get(i);
                String id = "ACVP keyGen #" + (i + 1);
                byte[] seed = Bytes.concat(TestVectors.hex(r.get("d")), TestVectors.hex(r.get("z")));
                byte[] ek = TestVectors.hex(r.get("ek"));
                byte[] dk = TestVectors.hex(r.get("dk"));
                tests.add(dynamicTest(id, () -> {
                    assertBytes(id, "ek from the seed d || z", MlKem1024.publicKey(seed), ek);
                    assertBytes(id, "dk from the seed d || z", MlKem1024.expandedPrivateKey(seed), dk);
                    assertBytes(id, "ek from the expanded dk", MlKem1024.publicKey(dk), ek);
                }));
            }
            tests.add(dynamicTest("coverage: " + records.size() + " ACVP keyGen records",
                    () -> assertThat(records).as("ACVP keyGen records").isNotEmpty()));
            return tests.stream();
        });
    }

    @TestFactory
    Stream<DynamicNode> acvpEncapsulationWithGivenMessageGivesCiphertextAndKey() {
        return TestVectors.withVectors(() -> {
            List<Map<String, String>> records =
                    TestVectors.records("acvp-mlkem/encapDecap_encapsulation_ML-KEM-1024.txt");
            List<DynamicTest> tests = new ArrayList<>();
            for (int i = 0; i < records.size(); i++) {
                Map<String, String> r = records.get(i);
                String id = "ACVP encapsulation #" + (i + 1) + " (" + r.get("reason") + ")";
                byte[] ek = TestVectors.hex(r.get("ek"));
                byte[] dk = TestVectors.hex(r.get("dk"));
                byte[] m = TestVectors.hex(r.get("m"));
                byte[] c = TestVectors.hex(r.get("c"));
                byte[] k = TestVectors.hex(r.get("k"));
                tests.add(dynamicTest(id, () -> {
                    Encapsulation e = MlKem1024.encapsulateDeterministically(ek, m);
                    assertBytes(id, "ciphertext", e.ciphertext, c);
                    assertSecret(id, "shared secret", e.sharedSecret, k);
                    assertSecret(id, "shared secret decapsulated with dk", MlKem1024.decapsulate(dk, c), k);
                }));
            }
            tests.add(dynamicTest("coverage: " + records.size() + " ACVP encapsulation records",
                    () -> assertThat(records).as("ACVP encapsulation records").isNotEmpty()));
            return tests.stream();
        });
    }

    @TestFactory
    Stream<DynamicNode> acvpDecapsulationGivesKeyAndImplicitlyRejectsModifiedCiphertexts() {
        return TestVectors.withVectors(() -> {
            List<Map<String, String>> records =
                    TestVectors.records("acvp-mlkem/encapDecap_decapsulation_ML-KEM-1024.txt");
            List<DynamicTest> tests = new ArrayList<>();
            int modified = 0;
            for (int i = 0; i < records.size(); i++) {
                Map<String, String> r = records.get(i);
                String reason = r.get("reason");
                if (reason.startsWith("modify")) {
                    modified++;
                }
                String id = "ACVP decapsulation #" + (i + 1) + " (" + reason + ")";
                byte[] ek = TestVectors.hex(r.get("ek"));
                byte[] dk = TestVectors.hex(r.get("dk"));
                byte[] c = TestVectors.hex(r.get("c"));
                byte[] k = TestVectors.hex(r.get("k"));
                tests.add(dynamicTest(id, () -> {
                    assertSecret(id, "shared secret (the rejection key for a modified ciphertext)",
                            MlKem1024.decapsulate(dk, c), k);
                    assertBytes(id, "ek embedded in dk", MlKem1024.publicKey(dk), ek);
                }));
            }
            int modifiedCount = modified;
            tests.add(dynamicTest("coverage: " + records.size() + " ACVP decapsulation records, " + modified
                    + " with a modified ciphertext", () -> {
                        assertThat(records).as("ACVP decapsulation records").isNotEmpty();
                        assertThat(modifiedCount).as("implicit-rejection records").isPositive();
                        assertThat(modifiedCount).as("unmodified records").isLessThan(records.size());
                    }));
            return tests.stream();
        });
    }

    // ---------------------------------------------------------------- Wycheproof

    /** Seed {@code d || z} and ciphertext to shared secret; invalid: wrong private key or ciphertext length. */
    @TestFactory
    Stream<DynamicNode> wycheproofDecapsulationFromSeed() {
        return TestVectors.withVectors(() -> {
            WycheproofFile file = TestVectors.wycheproof("mlkem_1024_test.json", "mlkem_test_schema.json", "ML-KEM");
            CaseCounts counts = new CaseCounts();
            List<DynamicTest> tests = new ArrayList<>();
            for (WycheproofCase c : file.cases()) {
                if (!checkParameterSet(c, tests)) {
                    continue;
                }
                byte[] seed = c.bytes("seed");
                byte[] ct = c.bytes("c");
                if (c.isValid()) {
                    counts.add(Kind.VALID);
                    byte[] ek = c.bytes("ek");
                    byte[] k = c.bytes("K");
                    tests.add(dynamicTest(c.displayName(), () -> {
                        assertBytes(c, "ek from the seed", MlKem1024.publicKey(seed), ek);
                        assertSecret(c, "K from the seed", MlKem1024.decapsulate(seed, ct), k);
                        assertSecret(c, "K from the expanded dk",
                                MlKem1024.decapsulate(MlKem1024.expandedPrivateKey(seed), ct), k);
                    }));
                } else if (c.isInvalid()) {
                    counts.add(Kind.INVALID);
                    tests.add(dynamicTest(c.displayName(), () -> {
                        assertRejected(c, BAD_ENCODING, () -> MlKem1024.decapsulate(seed, ct).close());
                        if (c.has("ek") && seed.length == MlKem1024.SEED_LENGTH) {
                            // only the ciphertext is wrong: the key pair itself must still come out right
                            assertBytes(c, "ek from the seed", MlKem1024.publicKey(seed), c.bytes("ek"));
                        }
                        if (seed.length != MlKem1024.SEED_LENGTH) {
                            assertRejected(c, BAD_ENCODING, () -> MlKem1024.publicKey(seed));
                        }
                    }));
                } else {
                    tests.add(dynamicTest(c.displayName(), () -> fail(c + ": no rule for result " + c.result())));
                }
            }
            tests.add(counts.coverageTest(file.name(), file.cases().size(), Kind.VALID, Kind.INVALID));
            return tests.stream();
        });
    }

    /** Encapsulation key and {@code m} to ciphertext and key; invalid: modulus overflow or wrong length. */
    @TestFactory
    Stream<DynamicNode> wycheproofEncapsulationRejectsKeysFailingTheModulusCheck() {
        return TestVectors.withVectors(() -> {
            WycheproofFile file = TestVectors.wycheproof("mlkem_1024_encaps_test.json", "mlkem_encaps_test_schema.json",
                    "ML-KEM");
            CaseCounts counts = new CaseCounts();
            List<DynamicTest> tests = new ArrayList<>();
            for (WycheproofCase c : file.cases()) {
                if (!checkParameterSet(c, tests)) {
                    continue;
                }
                byte[] ek = c.bytes("ek");
                byte[] m = c.bytes("m");
                if (c.isValid()) {
                    counts.add(Kind.VALID);
                    byte[] ct = c.bytes("c");
                    byte[] k = c.bytes("K");
                    tests.add(dynamicTest(c.displayName(), () -> {
                        MlKem1024.checkPublicKey(ek);
                        Encapsulation e = MlKem1024.encapsulateDeterministically(ek, m);
                        assertBytes(c, "ciphertext", e.ciphertext, ct);
                        assertSecret(c, "K", e.sharedSecret, k);
                    }));
                } else if (c.isInvalid()) {
                    counts.add(Kind.INVALID);
                    tests.add(dynamicTest(c.displayName(), () -> {
                        assertRejected(c, BAD_ENCODING, () -> MlKem1024.checkPublicKey(ek));
                        assertRejected(c, BAD_ENCODING, () -> MlKem1024.encapsulateDeterministically(ek, m));
                    }));
                } else {
                    tests.add(dynamicTest(c.displayName(), () -> fail(c + ": no rule for result " + c.result())));
                }
            }
            tests.add(counts.coverageTest(file.name(), file.cases().size(), Kind.VALID, Kind.INVALID));
            return tests.stream();
        });
    }

    /** Seed {@code d || z} to encapsulation key and expanded decapsulation key. */
    @TestFactory
    Stream<DynamicNode> wycheproofKeyGenerationFromSeed() {
        return TestVectors.withVectors(() -> {
            WycheproofFile file = TestVectors.wycheproof("mlkem_1024_keygen_seed_test.json",
                    "mlkem_keygen_seed_test_schema.json", "ML-KEM");
            CaseCounts counts = new CaseCounts();
            List<DynamicTest> tests = new ArrayList<>();
            for (WycheproofCase c : file.cases()) {
                if (!checkParameterSet(c, tests)) {
                    continue;
                }
                byte[] seed = c.bytes("seed");
                if (c.isValid()) {
                    counts.add(Kind.VALID);
                    byte[] ek = c.bytes("ek");
                    byte[] dk = c.bytes("dk");
                    tests.add(dynamicTest(c.displayName(), () -> {
                        assertBytes(c, "ek", MlKem1024.publicKey(seed), ek);
                        assertBytes(c, "dk", MlKem1024.expandedPrivateKey(seed), dk);
                    }));
                } else if (c.isInvalid()) {
                    counts.add(Kind.INVALID);
                    tests.add(dynamicTest(c.displayName(),
                            () -> assertRejected(c, BAD_ENCODING, () -> MlKem1024.expandedPrivateKey(seed))));
                } else {
                    tests.add(dynamicTest(c.displayName(), () -> fail(c + ": no rule for result " + c.result())));
                }
            }
            tests.add(counts.coverageTest(file.name(), file.cases().size(), Kind.VALID));
            return tests.stream();
        });
    }

    /**
     * Expanded (3,168-byte) decapsulation key and ciphertext to shared secret; invalid: wrong lengths, and an
     * expanded key whose embedded hash {@code H(ek)} does not match (FIPS 203 section 7.3), which must be refused
     * rather than used.
     */
    @TestFactory
    Stream<DynamicNode> wycheproofDecapsulationWithExpandedKeyChecksItsHash() {
        return TestVectors.withVectors(() -> {
            WycheproofFile file = TestVectors.wycheproof("mlkem_1024_semi_expanded_decaps_test.json",
                    "mlkem_semi_expanded_decaps_test_schema.json", "ML-KEM");
            CaseCounts counts = new CaseCounts();
            List<DynamicTest> tests = new ArrayList<>();
            for (WycheproofCase c : file.cases()) {
                if (!checkParameterSet(c, tests)) {
                    continue;
                }
                byte[] dk = c.bytes("dk");
                byte[] ct = c.bytes("c");
                if (c.isValid()) {
                    counts.add(Kind.VALID);
                    byte[] k = c.bytes("K");
                    byte[] ek = c.bytes("ek");
                    tests.add(dynamicTest(c.displayName(), () -> {
                        assertSecret(c, "K", MlKem1024.decapsulate(dk, ct), k);
                        assertBytes(c, "ek embedded in dk", MlKem1024.publicKey(dk), ek);
                    }));
                } else if (c.isInvalid()) {
                    counts.add(Kind.INVALID);
                    tests.add(dynamicTest(c.displayName(),
                            () -> assertRejected(c, BAD_ENCODING, () -> MlKem1024.decapsulate(dk, ct).close())));
                } else {
                    tests.add(dynamicTest(c.displayName(), () -> fail(c + ": no rule for result " + c.result())));
                }
            }
            tests.add(counts.coverageTest(file.name(), file.cases().size(), Kind.VALID, Kind.INVALID));
            return tests.stream();
        });
    }

    private static boolean checkParameterSet(WycheproofCase c, List<DynamicTest> tests) {
        String set = c.group().path("parameterSet").asText();
        if (PARAMETER_SET.equals(set)) {
            return true;
        }
        tests.add(dynamicTest(c.displayName(), () -> fail(c + ": unexpected parameter set " + set)));
        return false;
    }
}
