package org.securep2p.app.org;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.Home;
import org.securep2p.app.store.SealedFormat;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.transport.cert.OrganisationAuthority;
import org.securep2p.transport.cert.OrganisationAuthority.IssuedCertificate;
import org.securep2p.transport.cert.OrganisationTrust;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.TransportException;
import org.securep2p.crypto.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CA's files in a home (PROTOCOL.md section 21.3): what init, issue, revoke and renew-crl write and refuse. */
class OrganisationCaTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Instant START = Instant.parse("2026-11-23T12:00:00Z");

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(START);
    private Home home;
    private Path requests;
    private SecretBytes storageKey;

    @BeforeEach
    void setUp() throws Exception {
        home = new Home(dir.resolve("lead"));
        home.createAll();
        requests = Files.createDirectories(dir.resolve("requests"));
        storageKey = key((byte) 7);
    }

    @AfterEach
    void tearDown() {
        storageKey.close();
    }

    private static SecretBytes key(byte fill) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, fill);
        return SecretBytes.copyOf(k);
    }

    private OrganisationCa ca() throws StoreException {
        return new OrganisationCa(home.caFolders(), storageKey, RANDOM, clock);
    }

    /** A member with their own identity and cert/identity.crt, copied to requests/NAME.crt as the lead would. */
    private InMemoryPrivateKeys member(String name) throws Exception {
        InMemoryPrivateKeys keys = InMemoryPrivateKeys.generate(RANDOM, clock, 0, 0);
        Path certDir = dir.resolve("member-" + name).resolve("cert");
        TransportCertificate.loadOrCreate(certDir, keys, clock);
        Files.copy(certDir.resolve("identity.crt"), requests.resolve(name + ".crt"));
        return keys;
    }

    private OrganisationTrust trust() throws TransportException {
        return OrganisationTrust.load(home.cert().resolve("ca.crt"), clock);
    }

    /** Every file under the home (and what it holds), to show that a refused operation changed nothing. */
    private Map<Path, String> snapshot() throws Exception {
        Map<Path, String> files = new HashMap<>();
        try (Stream<Path> walk = Files.walk(home.root())) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(p, Base64.getEncoder().encodeToString(Files.readAllBytes(p)));
            }
        }
        return files;
    }

    private static StoreException.Reason reasonOf(Throwable t) {
        return ((StoreException) t).reason();
    }

    @Test
    void initThenIssueTwoMembersAtOnceGivesCertificatesThatVerifyUnderTheCa() throws Exception {
        InMemoryPrivateKeys alice = member("Alice");
        InMemoryPrivateKeys bob = member("Bob Smith");
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            List<IssuedCertificate> issued = ca.issue(List.of("Alice", "Bob Smith"), requests, Duration.ofDays(365));

            assertThat(issued).extracting(IssuedCertificate::name).containsExactly("Alice", "Bob Smith");
            assertThat(issued.get(0).fingerprint()).isEqualTo(alice.identity().fingerprint());
            assertThat(issued.get(1).fingerprint()).isEqualTo(bob.identity().fingerprint());
            OrganisationTrust trust = trust();
            assertThat(trust.authorityName()).isEqualTo("Control");
            assertThat(TransportCertificate.loadMember(ca.issuedFile("Alice"), alice, trust).memberName())
                    .contains("Alice");
            assertThat(TransportCertificate.loadMember(ca.issuedFile("Bob Smith"), bob, trust).memberName())
                    .contains("Bob Smith");
            assertThat(Files.readAllBytes(ca.issuedFile("Alice"))).isEqualTo(issued.get(0).pem());
            assertThat(ca.list()).extracting(OrganisationCa.Entry::name, e -> e.status(clock.instant()))
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("Alice", OrganisationCa.Status.ACTIVE),
                            org.assertj.core.groups.Tuple.tuple("Bob Smith", OrganisationCa.Status.ACTIVE));
        }
    }

    @Test
    void aMemberCertificateIsRefusedForAnotherIdentity() throws Exception {
        member("Alice");
        InMemoryPrivateKeys mallory = InMemoryPrivateKeys.generate(RANDOM, clock, 0, 0);
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            ca.issue(List.of("Alice"), requests, Duration.ofDays(30));
            assertThatThrownBy(() -> TransportCertificate.loadMember(ca.issuedFile("Alice"), mallory, trust()))
                    .isInstanceOf(TransportException.class);
        }
    }

    @Test
    void registerRecordsNameSerialFingerprintExpiryAndRevocation() throws Exception {
        InMemoryPrivateKeys alice = member("Alice");
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            IssuedCertificate c = ca.issue(List.of("Alice"), requests, Duration.ofDays(10)).get(0);
            String json = Files.readString(home.root().resolve("ca/register.json"));
            assertThat(json).contains("\"version\" : 1", "\"crlNumber\" : 1", "\"name\" : \"Alice\"",
                    "\"serial\" : \"" + c.serial().toString(16) + "\"",
                    "\"fingerprint\" : \"" + alice.identity().fingerprint().displayString() + "\"",
                    "\"notAfter\" : \"" + START.plus(Duration.ofDays(10)) + "\"", "\"revokedAt\" : null");
            clock.advance(Duration.ofMinutes(5));
            ca.revoke("Alice");
            assertThat(Files.readString(home.root().resolve("ca/register.json")))
                    .contains("\"crlNumber\" : 2", "\"revokedAt\" : \"" + clock.instant() + "\"");
        }
    }

    @Test
    void aRevokedCertificateIsRefusedWithTheNewListAndTheOthersStillWork() throws Exception {
        InMemoryPrivateKeys alice = member("Alice");
        InMemoryPrivateKeys bob = member("Bob");
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            ca.issue(List.of("Alice", "Bob"), requests, Duration.ofDays(365));
            byte[] oldList = Files.readAllBytes(home.cert().resolve("ca.crl"));
            List<OrganisationCa.Entry> revoked = ca.revoke("Alice");

            assertThat(revoked).singleElement().satisfies(e -> assertThat(e.revokedAt()).contains(START));
            assertThat(Files.readAllBytes(home.cert().resolve("ca.crl"))).isNotEqualTo(oldList);
            OrganisationTrust trust = trust();
            assertThat(trust.revokedCount()).isEqualTo(1);
            assertThatThrownBy(() -> TransportCertificate.loadMember(ca.issuedFile("Alice"), alice, trust))
                    .isInstanceOfSatisfying(TransportException.class, e -> {
                        assertThat(e.reason()).isEqualTo(TransportException.Reason.CERTIFICATE_REFUSED);
                        assertThat(e.getMessage()).contains("revoked");
                    });
            assertThat(TransportCertificate.loadMember(ca.issuedFile("Bob"), bob, trust).memberName())
                    .contains("Bob");
        }
    }

    @Test
    void revokingAnUnknownOrAlreadyRevokedNameIsRefusedAndChangesNothing() throws Exception {
        member("Alice");
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            ca.issue(List.of("Alice"), requests, Duration.ofDays(365));
            Map<Path, String> before = snapshot();
            assertThatThrownBy(() -> ca.revoke("alice")).isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(StoreException.Reason.UNKNOWN_PEER))
                    .hasMessageContaining("alice").hasMessageContaining("ca list");
            assertThat(snapshot()).isEqualTo(before);
            ca.revoke("Alice");
            Map<Path, String> revoked = snapshot();
            assertThatThrownBy(() -> ca.revoke("Alice")).isInstanceOf(StoreException.class)
                    .hasMessageContaining("revoked already");
            assertThat(snapshot()).isEqualTo(revoked);
        }
    }

    @Test
    void initTwiceIsRefusedAndChangesNothing() throws Exception {
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            Map<Path, String> before = snapshot();
            assertThatThrownBy(() -> ca.init("Other")).isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(StoreException.Reason.DUPLICATE))
                    .hasMessageContaining("already exists");
            assertThat(snapshot()).isEqualTo(before);
            assertThat(trust().authorityName()).isEqualTo("Control");
        }
    }

    @Test
    void initRefusesAHomeThatHoldsAMembersCopyOfTheirCaCertificate() throws Exception {
        Files.writeString(home.cert().resolve("ca.crt"), "the member's CA");
        try (OrganisationCa ca = ca()) {
            assertThatThrownBy(() -> ca.init("Control")).isInstanceOf(StoreException.class)
                    .hasMessageContaining("ca.crt");
        }
        assertThat(Files.readString(home.cert().resolve("ca.crt"))).isEqualTo("the member's CA");
        assertThat(home.root().resolve("ca/ca-key.sealed")).doesNotExist();
    }

    @Test
    void aBatchWithOneBadRequestIssuesNothing() throws Exception {
        member("Alice");
        Files.writeString(requests.resolve("Bob.crt"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            Map<Path, String> before = snapshot();
            assertThatThrownBy(() -> ca.issue(List.of("Alice", "Bob"), requests, Duration.ofDays(365)))
                    .isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(StoreException.Reason.CORRUPT))
                    .hasMessageContaining("Bob.crt").hasMessageContaining("Nothing was issued");
            assertThat(snapshot()).isEqualTo(before);
            assertThat(ca.list()).isEmpty();
        }
    }

    @Test
    void aBatchWithAMissingRequestOrARepeatedNameIssuesNothing() throws Exception {
        member("Alice");
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            Map<Path, String> before = snapshot();
            assertThatThrownBy(() -> ca.issue(List.of("Alice", "Carol"), requests, Duration.ofDays(365)))
                    .isInstanceOf(StoreException.class).hasMessageContaining("Carol.crt")
                    .hasMessageContaining("identity.crt");
            assertThatThrownBy(() -> ca.issue(List.of("Alice", "Alice"), requests, Duration.ofDays(365)))
                    .isInstanceOf(StoreException.class).hasMessageContaining("twice");
            assertThat(snapshot()).isEqualTo(before);
        }
    }

    @Test
    void oneIdentityCannotHoldTwoActiveNames() throws Exception {
        member("Alice");
        Files.copy(requests.resolve("Alice.crt"), requests.resolve("Alias.crt"));
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            assertThatThrownBy(() -> ca.issue(List.of("Alice", "Alias"), requests, Duration.ofDays(365)))
                    .isInstanceOf(StoreException.class).hasMessageContaining("Nothing was issued");
            ca.issue(List.of("Alice"), requests, Duration.ofDays(365));
            assertThatThrownBy(() -> ca.issue(List.of("Alias"), requests, Duration.ofDays(365)))
                    .isInstanceOf(StoreException.class).hasMessageContaining("as Alice");
        }
    }

    @Test
    void aNameWithAnActiveCertificateIsRefusedUntilRevoked() throws Exception {
        InMemoryPrivateKeys alice = member("Alice");
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            ca.issue(List.of("Alice"), requests, Duration.ofDays(365));
            Map<Path, String> before = snapshot();
            assertThatThrownBy(() -> ca.issue(List.of("Alice"), requests, Duration.ofDays(365)))
                    .isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(StoreException.Reason.DUPLICATE))
                    .hasMessageContaining("securep2p ca revoke Alice");
            assertThat(snapshot()).isEqualTo(before);

            ca.revoke("Alice");
            ca.issue(List.of("Alice"), requests, Duration.ofDays(365));
            assertThat(ca.list()).extracting(e -> e.status(clock.instant()))
                    .containsExactly(OrganisationCa.Status.REVOKED, OrganisationCa.Status.ACTIVE);
            assertThat(TransportCertificate.loadMember(ca.issuedFile("Alice"), alice, trust()).memberName())
                    .contains("Alice");
        }
    }

    @Test
    void listShowsActiveRevokedAndExpiredCertificates() throws Exception {
        member("Alice");
        member("Bob");
        member("Carol");
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            ca.issue(List.of("Alice", "Bob"), requests, Duration.ofDays(365));
            ca.issue(List.of("Carol"), requests, Duration.ofDays(1));
            ca.revoke("Bob");
            clock.advance(Duration.ofDays(2));
            Instant now = clock.instant();
            assertThat(ca.list()).extracting(OrganisationCa.Entry::name, e -> e.status(now))
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("Alice", OrganisationCa.Status.ACTIVE),
                            org.assertj.core.groups.Tuple.tuple("Bob", OrganisationCa.Status.REVOKED),
                            org.assertj.core.groups.Tuple.tuple("Carol", OrganisationCa.Status.EXPIRED));
            assertThat(OrganisationCa.list(home.caFolders())).isEqualTo(ca.list());
            // An expired certificate does not block a new one: there is nothing left to revoke in practice.
            ca.issue(List.of("Carol"), requests, Duration.ofDays(365));
            assertThat(ca.list()).hasSize(4);
        }
    }

    @Test
    void renewCrlMakesAStaleListCurrentAgainWithTheSameRevocations() throws Exception {
        member("Alice");
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            ca.issue(List.of("Alice"), requests, Duration.ofDays(365));
            ca.revoke("Alice");
            clock.advance(OrganisationAuthority.CRL_VALIDITY.plusDays(2));
            assertThatThrownBy(this::trust).isInstanceOf(TransportException.class).hasMessageContaining("expired");

            Instant nextUpdate = ca.renewCrl();

            assertThat(nextUpdate).isEqualTo(clock.instant().plus(OrganisationAuthority.CRL_VALIDITY));
            assertThat(trust().revokedCount()).isEqualTo(1);
            assertThat(Files.readString(home.root().resolve("ca/register.json"))).contains("\"crlNumber\" : 3");
        }
    }

    @Test
    void aCorruptedRegisterIsReportedAndLeftByteForByte() throws Exception {
        member("Alice");
        Path register = home.root().resolve("ca/register.json");
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
            ca.issue(List.of("Alice"), requests, Duration.ofDays(365));
            String good = Files.readString(register);
            List<String> damaged = List.of(
                    good.substring(0, good.length() / 2),
                    good.replace("\"revokedAt\" : null", "\"revokedAt\" : null, \"extra\" : 1"),
                    good.replace("\"crlNumber\" : 1", "\"crlNumber\" : 0"),
                    good.replace("\"serial\" : \"", "\"serial\" : \"0"),
                    good.replace("\"serial\" : \"", "\"serial\" : \"x"),
                    good.replace("\"notAfter\" : \"", "\"notAfter\" : \"tomorrow"),
                    good.replace("\"name\" : \"Alice\"", "\"name\" : \"\\u001b[2J\""),
                    good.replace("\"revokedAt\" : null", "\"revokedAt\" : 5"),
                    good.replace("\"fingerprint\" : \"", "\"fingerprint\" : \"0"),
                    good + "{}",
                    "{\"version\" : 1, \"version\" : 1}");
            for (String text : damaged) {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                Files.write(register, bytes);
                for (ThrowingCall call : List.<ThrowingCall>of(ca::list, () -> ca.revoke("Alice"), ca::renewCrl,
                        () -> ca.issue(List.of("Alice"), requests, Duration.ofDays(1)))) {
                    assertThatThrownBy(call::run).as(text).isInstanceOf(StoreException.class)
                            .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(StoreException.Reason.CORRUPT))
                            .hasMessageContaining("register.json");
                    assertThat(Files.readAllBytes(register)).isEqualTo(bytes);
                }
            }
            Files.writeString(register, good.replace("\"version\" : 1", "\"version\" : 2"));
            assertThatThrownBy(ca::list).isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(StoreException.Reason.UNKNOWN_VERSION));
        }
    }

    @FunctionalInterface
    private interface ThrowingCall {
        Object run() throws Exception;
    }

    @Test
    void aSealedKeyOpenedWithAnotherStorageKeyFailsCleanly() throws Exception {
        member("Alice");
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
        }
        Map<Path, String> before = snapshot();
        try (SecretBytes other = key((byte) 8); OrganisationCa ca = new OrganisationCa(home.caFolders(), other, RANDOM, clock)) {
            assertThatThrownBy(() -> ca.issue(List.of("Alice"), requests, Duration.ofDays(365)))
                    .isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(StoreException.Reason.CORRUPT))
                    .hasMessageContaining("ca-key.sealed").hasMessageContaining("another key");
            assertThatThrownBy(ca::renewCrl).isInstanceOf(StoreException.class)
                    .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(StoreException.Reason.CORRUPT));
        }
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void theCaKeyFileNeverHoldsTheSeedInClear() throws Exception {
        try (OrganisationCa ca = ca()) {
            ca.init("Control");
        }
        byte[] file = Files.readAllBytes(home.root().resolve("ca/ca-key.sealed"));
        byte[] seed = SealedFormat.open("ca", "", file, storageKey, RANDOM, "test");
        byte[] pem = Files.readAllBytes(home.cert().resolve("ca.crt"));
        try (OrganisationAuthority restored = OrganisationAuthority.restore(seed, pem)) {
            byte[] exported = restored.exportPrivateKey();
            assertThat(exported).hasSize(32);
            assertThat(indexOf(file, exported)).isEqualTo(-1);
            assertThat(indexOf(file, Base64.getEncoder().encode(exported))).isEqualTo(-1);
        }
        // The same seed under another role's associated data does not open: the role is bound.
        assertThatThrownBy(() -> SealedFormat.open("conversation", "", file, storageKey, RANDOM, "test"))
                .isInstanceOf(StoreException.class);
    }

    @Test
    void operationsWithoutACaSayToRunInit() throws Exception {
        member("Alice");
        try (OrganisationCa ca = ca()) {
            assertThatThrownBy(() -> ca.issue(List.of("Alice"), requests, Duration.ofDays(1)))
                    .isInstanceOf(StoreException.class).hasMessageContaining("ca init");
            assertThatThrownBy(ca::renewCrl).isInstanceOf(StoreException.class).hasMessageContaining("ca init");
        }
        assertThat(home.root().resolve("ca/issued")).doesNotExist();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
