package org.securep2p.app.org;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.securep2p.app.AppException;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.relay.MemberDirectory;
import org.securep2p.transport.TransportException;
import org.securep2p.transport.cert.OrganisationTrust;

/**
 * What a member checks before it believes the organisation relay's directory (PROTOCOL.md §23.3): picking the one
 * listing of a name, and the four checks of an ENTRY, in order, the first failure deciding. A relay that substitutes
 * a key or a name is caught here; one that hides a member or lies about presence is not (nothing here can tell).
 *
 * <p>Not its job: asking the relay (the messenger's directory does), nor trusting the result any further than "this
 * bundle is signed by the identity our CA certified under this name": the connection that follows is pinned to the
 * fingerprint returned.
 */
public final class MemberEntryCheck {

    private MemberEntryCheck() {
    }

    /** A directory entry that passed every check: the certified name and identity. */
    public record CheckedMember(String name, IdentityPublicKeys identity) {
        public CheckedMember {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(identity, "identity");
        }

        public Fingerprint fingerprint() {
            return identity.fingerprint();
        }
    }

    /**
     * The listing whose name is exactly {@code name}: none is {@code UNKNOWN_PEER}; two (which a CA never issues) is
     * {@code DIRECTORY_REFUSED} naming both fingerprints.
     */
    public static MemberDirectory.Listing pick(List<MemberDirectory.Listing> listings, String name)
            throws AppException {
        List<MemberDirectory.Listing> named = listings.stream().filter(l -> l.name().equals(name)).toList();
        if (named.isEmpty()) {
            throw new AppException(AppException.Reason.UNKNOWN_PEER, "No member called \"" + printable(name)
                    + "\" is in the organisation's directory.");
        }
        if (named.size() > 1) {
            throw new AppException(AppException.Reason.DIRECTORY_REFUSED, "The directory lists \"" + printable(name)
                    + "\" twice (" + shortHex(named.get(0).fingerprint()) + " and " + shortHex(named.get(1).fingerprint())
                    + "); your CA never issues one name twice.");
        }
        return named.get(0);
    }

    /**
     * Checks {@code entry}, which the relay gave for the listing ({@code name}, {@code listedFingerprint}): the
     * certificate passes §21.2's checks 1 to 7 against {@code trust}; its name is {@code name} and its identity's
     * fingerprint the listed one; the bundle decodes and is of the certified identity; its signed prekeys verify
     * at {@code level}.
     *
     * @throws AppException {@code DIRECTORY_REFUSED} with the sentence of the first check that failed
     */
    public static CheckedMember check(OrganisationTrust trust, String name, byte[] listedFingerprint,
            MemberDirectory.Entry entry, SecurityLevel level, Instant now) throws AppException {
        OrganisationTrust.CertifiedMember member;
        try {
            member = trust.verifyMember(entry.certificate(), Optional.empty());
        } catch (TransportException e) {
            throw refused("the directory's certificate for \"" + printable(name) + "\" is refused: " + e.getMessage());
        }
        if (!member.name().equals(name)) {
            throw refused("the directory's certificate for \"" + printable(name) + "\" is for \""
                    + printable(member.name()) + "\"");
        }
        IdentityPublicKeys certified = member.identity();
        if (!MessageDigest.isEqual(certified.fingerprint().toBytes(), listedFingerprint)) {
            throw refused("the directory's certificate for \"" + printable(name)
                    + "\" is not for the fingerprint it lists");
        }
        PreKeyBundle bundle;
        try {
            bundle = PreKeyBundle.decode(entry.bundle());
        } catch (CryptoException e) {
            throw refused("the directory's prekey bundle for " + printable(name) + " does not decode");
        }
        if (!MessageDigest.isEqual(bundle.identity().encoded(), certified.encoded())) {
            throw refused("the directory's prekey bundle for " + printable(name) + " is not signed by "
                    + printable(name) + "'s certified identity");
        }
        try {
            bundle.verify(level, certified.fingerprint(), now);
        } catch (CryptoException e) {
            throw refused("the directory's prekey bundle for " + printable(name) + " does not verify under "
                    + printable(name) + "'s certified identity (" + e.reason() + ")");
        }
        return new CheckedMember(member.name(), certified);
    }

    private static AppException refused(String sentence) {
        return new AppException(AppException.Reason.DIRECTORY_REFUSED, capitalised(sentence) + ".");
    }

    private static String capitalised(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** A name from the relay reaches a sentence only if it is a plain name (§21.1); else a neutral word. */
    public static String printable(String name) {
        return org.securep2p.transport.cert.OrganisationAuthority.isPlainName(name) ? name : "(a name that is not plain)";
    }

    private static String shortHex(byte[] fingerprint) {
        return HexFormat.of().formatHex(fingerprint, 0, Math.min(4, fingerprint.length)) + "…";
    }
}
