package org.securep2p.app.org;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.AppException;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.MutableClock;
import org.securep2p.relay.MemberDirectory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** PROTOCOL.md §23.3: a directory entry is believed only if all four checks pass; each failure is named. */
class MemberEntryCheckTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(NOW);
    private OrgFixture org;
    private OrgFixture.Member bravo;
    private OrgFixture.Member charlie;

    @BeforeEach
    void setUp() throws Exception {
        org = new OrgFixture(dir.resolve("control"), "Control", RANDOM, clock);
        bravo = org.member("Control-Bravo");
        charlie = org.member("Control-Charlie");
    }

    @AfterEach
    void tearDown() {
        org.close();
    }

    private static MemberDirectory.Entry entry(OrgFixture.Member m, byte[] bundle) {
        return new MemberDirectory.Entry(m.certificate(), bundle, NOW);
    }

    private static byte[] bundleOf(OrgFixture.Member m) throws Exception {
        return m.keys().preKeyBundle().encode();
    }

    private MemberEntryCheck.CheckedMember check(String name, OrgFixture.Member listed, MemberDirectory.Entry e)
            throws Exception {
        return MemberEntryCheck.check(org.trust(), name, listed.keys().identity().fingerprint().toBytes(), e,
                SecurityLevel.QUANTUM_RESISTANT, clock.instant());
    }

    private void assertRefused(ThrowingCall call, String sentence) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(AppException.class, e -> {
            assertThat(e.reason()).isEqualTo(AppException.Reason.DIRECTORY_REFUSED);
            assertThat(e.getMessage()).contains(sentence);
        });
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Exception;
    }

    @Test
    void acceptsTheEntryOfTheCertifiedMember() throws Exception {
        MemberEntryCheck.CheckedMember m = check("Control-Bravo", bravo, entry(bravo, bundleOf(bravo)));
        assertThat(m.name()).isEqualTo("Control-Bravo");
        assertThat(m.fingerprint()).isEqualTo(bravo.keys().identity().fingerprint());
    }

    @Test
    void refusesACertificateOfAnotherCa() throws Exception {
        try (OrgFixture other = new OrgFixture(dir.resolve("mallory"), "Mallory Corp", RANDOM, clock)) {
            OrgFixture.Member fake = other.member("Control-Bravo", bravo.keys());
            assertRefused(() -> check("Control-Bravo", bravo, entry(fake, bundleOf(bravo))), "\"Mallory Corp\"");
        }
    }

    @Test
    void refusesARevokedCertificate() throws Exception {
        org.revoke(bravo, NOW);
        assertRefused(() -> check("Control-Bravo", bravo, entry(bravo, bundleOf(bravo))), "was revoked");
    }

    @Test
    void refusesACertificateOfAnotherName() throws Exception {
        // The relay answers the look-up of "Control-Bravo" with Charlie's genuine entry.
        assertRefused(() -> check("Control-Bravo", bravo, entry(charlie, bundleOf(charlie))),
                "certificate for \"Control-Bravo\" is for \"Control-Charlie\"");
    }

    @Test
    void refusesACertificateOfAnotherFingerprintThanListed() throws Exception {
        assertRefused(() -> MemberEntryCheck.check(org.trust(), "Control-Bravo",
                charlie.keys().identity().fingerprint().toBytes(), entry(bravo, bundleOf(bravo)),
                SecurityLevel.STANDARD, NOW), "not for the fingerprint it lists");
    }

    @Test
    void refusesABundleThatDoesNotDecode() throws Exception {
        byte[] bundle = bundleOf(bravo);
        byte[] cut = java.util.Arrays.copyOf(bundle, bundle.length - 1);
        assertRefused(() -> check("Control-Bravo", bravo, entry(bravo, cut)), "does not decode");
    }

    @Test
    void refusesASubstitutedBundleOfAnotherIdentity() throws Exception {
        // The malicious relay: Bravo's real certificate, but a bundle signed by a key the relay controls.
        OrgFixture.Member mallory = org.member("Control-Mallory");
        assertRefused(() -> check("Control-Bravo", bravo, entry(bravo, bundleOf(mallory))),
                "The directory's prekey bundle for Control-Bravo is not signed by Control-Bravo's certified identity");
    }

    @Test
    void refusesABundleWhoseSignedPrekeyDoesNotVerify() throws Exception {
        byte[] bundle = bundleOf(bravo);
        // version, identity, then the signed prekey: kind u8, id u32, createdAt u64, typed X25519 key (type u8, 32).
        int keyByte = 1 + IdentityPublicKeys.ENCODED_LENGTH + 1 + 4 + 8 + 1 + 7;
        bundle[keyByte] ^= 0x01;
        assertRefused(() -> check("Control-Bravo", bravo, entry(bravo, bundle)), "does not verify");
    }

    @Test
    void picksTheOneListingOfAName() throws Exception {
        MemberDirectory.Listing b = new MemberDirectory.Listing("Control-Bravo", new byte[32], true);
        MemberDirectory.Listing c = new MemberDirectory.Listing("Control-Charlie", new byte[32], false);
        assertThat(MemberEntryCheck.pick(List.of(b, c), "Control-Charlie")).isSameAs(c);
        assertThatThrownBy(() -> MemberEntryCheck.pick(List.of(b, c), "Control-Delta"))
                .isInstanceOfSatisfying(AppException.class,
                        e -> assertThat(e.reason()).isEqualTo(AppException.Reason.UNKNOWN_PEER));
    }

    @Test
    void refusesTwoListingsOfOneName() {
        byte[] one = new byte[32];
        byte[] two = new byte[32];
        two[0] = 1;
        assertRefused(() -> MemberEntryCheck.pick(List.of(new MemberDirectory.Listing("Control-Bravo", one, true),
                new MemberDirectory.Listing("Control-Bravo", two, true)), "Control-Bravo"), "twice (00000000… and 01000000…)");
    }
}
