package org.securep2p.relay.server;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;

import org.bouncycastle.asn1.x509.Certificate;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.cert.OrganisationTrust;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may connect to an organisation relay (PROTOCOL.md §23.1): the CA certificate and its current revocation
 * list, loaded and checked as a member does (§21.2, through transport's {@link OrganisationTrust}), and reloaded
 * when the list's file changes (size or modification time). A new list replaces the loaded one only if it passes
 * the same checks and its number is not lower; otherwise the loaded list stays and the reason is logged. Not its
 * job: the TLS handshake ({@link MemberTrustManager}) or closing connections after a reload (the server).
 * Thread-safe.
 */
final class MemberTrust {

    private static final Logger LOG = LoggerFactory.getLogger(MemberTrust.class);

    /** A list as loaded, with the file's size and time it came from. */
    private record Loaded(OrganisationTrust trust, long size, FileTime modified) {
    }

    private final Path caCertificate;
    private final Path crl;
    private final Clock clock;
    private final RememberedListNumber remembered;
    private volatile Loaded loaded;
    /** Told after each new list is in force (the server closes the connections it revokes). */
    private volatile Runnable reloaded = () -> { };

    private MemberTrust(Path caCertificate, Clock clock, RememberedListNumber remembered, Loaded loaded) {
        this.caCertificate = caCertificate;
        this.remembered = remembered;
        this.crl = OrganisationTrust.crlPathFor(caCertificate);
        this.clock = clock;
        this.loaded = loaded;
    }

    /**
     * Loads the CA certificate at {@code caCertificate} and {@code ca.crl} beside it, refusing a list numbered lower
     * than the one remembered in {@code dataDir} ({@link RememberedListNumber}).
     *
     * @throws IOException a sentence naming the file and what is wrong with it (the relay does not start)
     */
    static MemberTrust load(Path caCertificate, Path dataDir, Clock clock) throws IOException {
        Objects.requireNonNull(caCertificate, "caCertificate");
        Path crl = OrganisationTrust.crlPathFor(caCertificate);
        RememberedListNumber remembered = new RememberedListNumber(dataDir.resolve(RememberedListNumber.FILE_NAME));
        try {
            // The file's size and time are read first: a list written after that is seen as a change next time.
            BasicFileAttributes a = attributes(crl);
            OrganisationTrust trust = OrganisationTrust.load(caCertificate, clock);
            remembered.admit(trust.authorityKeyHex(), trust.crlNumber());
            return new MemberTrust(caCertificate, clock, remembered, new Loaded(trust, a.size(),
                    a.lastModifiedTime()));
        } catch (TransportException | IOException e) {
            throw new IOException("The organisation relay cannot use " + caCertificate + ": " + e.getMessage() + ".",
                    e);
        }
    }

    /** {@code action} runs after each new list is in force, on the thread that loaded it: it must not block. */
    void whenReloaded(Runnable action) {
        reloaded = Objects.requireNonNull(action, "action");
    }

    /** The CA and list now in force, after reloading the list if its file changed. */
    OrganisationTrust current() {
        reloadIfChanged();
        return loaded.trust();
    }

    /**
     * Reloads the list if its file's size or time changed since it was loaded; true if a new list is now in force
     * (the caller then closes connections whose certificate it revokes).
     */
    synchronized boolean reloadIfChanged() {
        Loaded before = loaded;
        BasicFileAttributes a;
        try {
            a = attributes(crl);
        } catch (IOException e) {
            return false; // a list being replaced may be missing for a moment; the loaded one stays
        }
        if (a.size() == before.size() && a.lastModifiedTime().equals(before.modified())) {
            return false;
        }
        OrganisationTrust next;
        try {
            next = OrganisationTrust.load(caCertificate, clock);
        } catch (TransportException e) {
            LOG.warn("The revocation list {} was not loaded: {}; the list number {} stays in force.", crl,
                    e.getMessage(), before.trust().crlNumber());
            loaded = new Loaded(before.trust(), a.size(), a.lastModifiedTime()); // logged once per change
            return false;
        }
        if (!next.authorityKeyHex().equals(before.trust().authorityKeyHex())) {
            LOG.warn("The revocation list {} was not loaded: {} is now another CA; restart the relay to change CA.",
                    crl, caCertificate);
            loaded = new Loaded(before.trust(), a.size(), a.lastModifiedTime());
            return false;
        }
        BigInteger was = before.trust().crlNumber();
        if (next.crlNumber().compareTo(was) < 0) {
            LOG.warn("The revocation list {} was not loaded: its number {} is lower than the loaded list's {}.", crl,
                    next.crlNumber(), was);
            loaded = new Loaded(before.trust(), a.size(), a.lastModifiedTime());
            return false;
        }
        try {
            remembered.admit(next.authorityKeyHex(), next.crlNumber()); // remembered before it is used
        } catch (IOException e) {
            LOG.warn("The revocation list {} was not loaded: {}; the list number {} stays in force.", crl,
                    e.getMessage(), was);
            loaded = new Loaded(before.trust(), a.size(), a.lastModifiedTime());
            return false;
        }
        loaded = new Loaded(next, a.size(), a.lastModifiedTime());
        LOG.info("Loaded the revocation list {} (number {}, {} revoked).", crl, next.crlNumber(),
                next.revokedCount());
        reloaded.run();
        return true;
    }

    /**
     * The member a certificate (DER) authenticates, checked against the CA and current list (§21.2, 1 to 7).
     *
     * @throws TransportException {@code CERTIFICATE_REFUSED} with §21.2's sentence
     */
    AuthenticatedMember verify(byte[] der) throws TransportException {
        return verify(der, current());
    }

    /** The same against a given list (the revocation sweep checks many under one list). */
    static AuthenticatedMember verify(byte[] der, OrganisationTrust trust) throws TransportException {
        OrganisationTrust.CertifiedMember m = trust.verifyMember(der, Optional.empty());
        // verifyMember parsed it strictly already; the serial is read from that same DER.
        BigInteger serial = Certificate.getInstance(der).getSerialNumber().getValue();
        return new AuthenticatedMember(m.name(), m.identity().fingerprint().toBytes(), serial, der);
    }

    private static BasicFileAttributes attributes(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class);
    }

    @Override
    public String toString() {
        return "MemberTrust[" + loaded.trust() + ", list " + loaded.trust().crlNumber() + "]";
    }
}
