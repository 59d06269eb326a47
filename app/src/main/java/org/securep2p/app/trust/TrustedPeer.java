package org.securep2p.app.trust;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.securep2p.crypto.Fingerprint;

/**
 * What the trust store remembers about one identity: its fingerprint, the names it presented (oldest first),
 * when it was first and last seen and from where, whether the user verified it (compared the safety number),
 * how it was first authenticated, and which identity it replaced if the user accepted a changed identity.
 * Immutable; every field is checked in the factory, so a stored file that breaks a rule cannot be loaded.
 *
 * <p>Not its job: deciding whether to trust (the app's flow) or storing itself ({@link TrustStore}).
 */
public final class TrustedPeer {

    /** Names kept per identity; past this the oldest is forgotten, so a peer cannot grow the file without end. */
    static final int MAX_NAMES = 16;
    /** Longest name in UTF-16 units: longer than any username the app lets a user choose. */
    static final int MAX_NAME_LENGTH = 64;
    /** Longest address: a host name (253) plus a port, with room to spare. */
    static final int MAX_ADDRESS_LENGTH = 300;

    private final Fingerprint fingerprint;
    private final List<String> names;
    private final Instant firstSeen;
    private final Instant lastSeen;
    private final String lastAddress;
    private final boolean verified;
    private final TrustOrigin origin;
    private final Fingerprint replaces;

    private TrustedPeer(Fingerprint fingerprint, List<String> names, Instant firstSeen, Instant lastSeen,
            String lastAddress, boolean verified, TrustOrigin origin, Fingerprint replaces) {
        this.fingerprint = fingerprint;
        this.names = names;
        this.firstSeen = firstSeen;
        this.lastSeen = lastSeen;
        this.lastAddress = lastAddress;
        this.verified = verified;
        this.origin = origin;
        this.replaces = replaces;
    }

    /**
     * A peer with every field given; {@code replaces} may be null. Throws {@link IllegalArgumentException} for
     * an invalid name or address, no names, more than {@link #MAX_NAMES}, a repeated name, {@code lastSeen}
     * before {@code firstSeen}, or {@code replaces} equal to {@code fingerprint}.
     */
    static TrustedPeer of(Fingerprint fingerprint, List<String> names, Instant firstSeen, Instant lastSeen,
            String lastAddress, boolean verified, TrustOrigin origin, Fingerprint replaces) {
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(firstSeen, "firstSeen");
        Objects.requireNonNull(lastSeen, "lastSeen");
        Objects.requireNonNull(origin, "origin");
        List<String> copy = List.copyOf(names);
        if (copy.isEmpty() || copy.size() > MAX_NAMES) {
            throw new IllegalArgumentException("a peer has 1 to " + MAX_NAMES + " names, not " + copy.size());
        }
        for (String name : copy) {
            requireValidName(name);
        }
        if (copy.stream().distinct().count() != copy.size()) {
            throw new IllegalArgumentException("names repeat");
        }
        requireValidAddress(lastAddress);
        if (lastSeen.isBefore(firstSeen)) {
            throw new IllegalArgumentException("lastSeen is before firstSeen");
        }
        if (fingerprint.equals(replaces)) {
            throw new IllegalArgumentException("an identity cannot replace itself");
        }
        return new TrustedPeer(fingerprint, copy, firstSeen, lastSeen, lastAddress, verified, origin, replaces);
    }

    /** A first contact: one name, unverified. */
    static TrustedPeer first(Fingerprint fingerprint, String name, String address, Instant now, TrustOrigin origin,
            Fingerprint replaces) {
        return of(fingerprint, List.of(name), now, now, address, false, origin, replaces);
    }

    /**
     * Seen again: {@code name} is added if new (the oldest dropped past {@link #MAX_NAMES}), the address
     * replaces the last one unless empty (unknown), and {@code lastSeen} moves to {@code now} (never before
     * {@code firstSeen}, should the clock have stepped back). The origin is the first contact's.
     */
    TrustedPeer seen(String name, String address, Instant now) {
        requireValidName(name);
        return seen(Optional.of(name), address, now);
    }

    /** Seen again under a name it may not have (another contact's): address and {@code lastSeen} only. */
    TrustedPeer seenKeepingNames(String address, Instant now) {
        return seen(Optional.empty(), address, now);
    }

    private TrustedPeer seen(Optional<String> newName, String address, Instant now) {
        requireValidAddress(address);
        List<String> updated = new ArrayList<>(names);
        if (newName.isPresent() && !updated.contains(newName.get())) {
            String name = newName.get();
            updated.add(name);
            while (updated.size() > MAX_NAMES) {
                updated.remove(0);
            }
        }
        Instant last = now.isBefore(firstSeen) ? firstSeen : now;
        return of(fingerprint, updated, firstSeen, last, address.isEmpty() ? lastAddress : address, verified, origin,
                replaces);
    }

    TrustedPeer withVerified(boolean newVerified) {
        return new TrustedPeer(fingerprint, names, firstSeen, lastSeen, lastAddress, newVerified, origin, replaces);
    }

    /**
     * 1 to {@value #MAX_NAME_LENGTH} UTF-16 units; no control or format characters (bidi overrides), no lone
     * surrogates.
     */
    static boolean isValidName(String name) {
        return name != null && !name.isEmpty() && name.length() <= MAX_NAME_LENGTH && printable(name);
    }

    /** Empty (unknown) or up to {@value #MAX_ADDRESS_LENGTH} printable characters. */
    static boolean isValidAddress(String address) {
        return address != null && address.length() <= MAX_ADDRESS_LENGTH && printable(address);
    }

    private static boolean printable(String s) {
        return s.codePoints().noneMatch(cp -> Character.isISOControl(cp)
                || Character.getType(cp) == Character.FORMAT || Character.getType(cp) == Character.SURROGATE);
    }

    private static void requireValidName(String name) {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("name must be 1 to " + MAX_NAME_LENGTH
                    + " characters without control or format characters");
        }
    }

    private static void requireValidAddress(String address) {
        if (!isValidAddress(address)) {
            throw new IllegalArgumentException("address must be at most " + MAX_ADDRESS_LENGTH
                    + " characters without control or format characters");
        }
    }

    public Fingerprint fingerprint() {
        return fingerprint;
    }

    /** The names this identity presented, oldest first. */
    public List<String> names() {
        return names;
    }

    /** The name it presented first: the one the user met it under. */
    String firstName() {
        return names.get(0);
    }

    public Instant firstSeen() {
        return firstSeen;
    }

    public Instant lastSeen() {
        return lastSeen;
    }

    /** The last address it was reached at or connected from; empty if never known. */
    public String lastAddress() {
        return lastAddress;
    }

    public boolean verified() {
        return verified;
    }

    public TrustOrigin origin() {
        return origin;
    }

    /** The identity the user accepted this one in place of, if any. */
    Optional<Fingerprint> replaces() {
        return Optional.ofNullable(replaces);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrustedPeer p && fingerprint.equals(p.fingerprint) && names.equals(p.names)
                && firstSeen.equals(p.firstSeen) && lastSeen.equals(p.lastSeen) && lastAddress.equals(p.lastAddress)
                && verified == p.verified && origin == p.origin && Objects.equals(replaces, p.replaces);
    }

    @Override
    public int hashCode() {
        return fingerprint.hashCode();
    }

    @Override
    public String toString() {
        return "TrustedPeer[" + fingerprint.shortForm() + ", " + names + ", " + origin
                + (verified ? ", verified" : ", unverified") + ", last seen " + lastSeen + "]";
    }
}
