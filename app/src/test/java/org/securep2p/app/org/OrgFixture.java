package org.securep2p.app.org;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.transport.cert.OrganisationAuthority;
import org.securep2p.transport.cert.OrganisationTrust;
import org.securep2p.transport.cert.TransportCertificate;

/** A lead's CA in a temp folder and members issued by it, for the directory and request tests (tests only). */
final class OrgFixture implements AutoCloseable {

    /** One member: its keys and its member certificate (DER). */
    @SuppressWarnings("ArrayRecordComponent") // a test's member; never compared
    record Member(String name, InMemoryPrivateKeys keys, byte[] certificate, BigInteger serial) {
    }

    private final Path dir;
    private final Clock clock;
    private final SecureRandom random;
    final OrganisationAuthority ca;
    private final List<OrganisationAuthority.Revocation> revoked = new ArrayList<>();
    private long crlNumber = 1;

    OrgFixture(Path dir, String caName, SecureRandom random, Clock clock) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.clock = clock;
        this.random = random;
        this.ca = OrganisationAuthority.create(caName, random, clock.instant());
        Files.write(caFile(), ca.certificatePem());
        Files.write(dir.resolve("ca.crl"), ca.revocationListPem(revoked, crlNumber, clock.instant()));
    }

    Path caFile() {
        return dir.resolve("ca.crt");
    }

    OrganisationTrust trust() throws Exception {
        return OrganisationTrust.load(caFile(), clock);
    }

    Member member(String name) throws Exception {
        return member(name, InMemoryPrivateKeys.generate(random, clock, 0, 0));
    }

    Member member(String name, InMemoryPrivateKeys keys) throws Exception {
        Path certDir = dir.resolve("member-" + name.replace(' ', '_'));
        TransportCertificate.loadOrCreate(certDir, keys, clock);
        OrganisationAuthority.IssuedCertificate issued = ca.issue(name,
                Files.readAllBytes(certDir.resolve(TransportCertificate.FILE_NAME)), clock.instant(),
                OrganisationAuthority.MEMBER_VALIDITY, random);
        Path file = certDir.resolve(TransportCertificate.MEMBER_FILE_NAME);
        Files.write(file, issued.pem());
        byte[] der = TransportCertificate.loadMember(file, keys, trust()).der();
        return new Member(name, keys, der, issued.serial());
    }

    /** Revokes {@code m} in a new ca.crl with a higher number. */
    void revoke(Member m, Instant at) throws Exception {
        revoked.add(new OrganisationAuthority.Revocation(m.serial(), at));
        crlNumber++;
        Files.write(dir.resolve("ca.crl"), ca.revocationListPem(revoked, crlNumber, clock.instant()));
    }

    @Override
    public void close() {
        ca.close();
    }
}
