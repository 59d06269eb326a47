package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.securep2p.relay.MemberDirectory;
import org.securep2p.relay.RelayException;

/**
 * A malicious relay's directory (test double, PROTOCOL.md §23.6): the real store underneath, honest listings, but
 * the ENTRY of one member answered with a part of another member's entry, as a relay that wants a member's
 * conversations would answer. What it does is read from {@code control} at every look-up, so a running relay
 * can turn from honest (no file) to each substitution in turn. The file is one line, {@code MODE VICTIM SOURCE}
 * (certified names):
 * <ul>
 * <li>{@code bundle}: VICTIM's certificate with SOURCE's prekey bundle (signed by SOURCE's identity: §23.3 check 3);
 * <li>{@code certificate}: SOURCE's certificate with VICTIM's bundle (another name: §23.3 check 2).
 * </ul>
 * Listings stay as stored: the substitution is in what the reader checks, not in what it picks.
 */
final class SubstitutingDirectoryStore implements DirectoryStore {

    /** What the control file asks for. */
    enum Mode {
        BUNDLE, CERTIFICATE
    }

    private final DirectoryStore real;
    private final Path control;

    SubstitutingDirectoryStore(DirectoryStore real, Path control) {
        this.real = Objects.requireNonNull(real, "real");
        this.control = Objects.requireNonNull(control, "control");
    }

    @Override
    public Optional<Stored> entry(byte[] fingerprint) throws RelayException {
        Optional<Stored> honest = real.entry(fingerprint);
        Optional<String[]> order = order();
        if (honest.isEmpty() || order.isEmpty() || !honest.get().name().equals(order.get()[1])) {
            return honest;
        }
        Mode mode = Mode.valueOf(order.get()[0].toUpperCase(java.util.Locale.ROOT));
        Stored victim = honest.get();
        Stored source = real.entries().stream().filter(s -> s.name().equals(order.get()[2])).findFirst()
                .orElseThrow(() -> new IllegalStateException("no stored entry to take a part from"));
        MemberDirectory.Entry forged = switch (mode) {
            case BUNDLE -> new MemberDirectory.Entry(victim.entry().certificate(), source.entry().bundle(),
                    victim.entry().published());
            case CERTIFICATE -> new MemberDirectory.Entry(source.entry().certificate(), victim.entry().bundle(),
                    victim.entry().published());
        };
        return Optional.of(new Stored(victim.name(), victim.fingerprint(), victim.serial(), forged));
    }

    /** The control file's three words, or empty (no file: honest). */
    private Optional<String[]> order() {
        String line;
        try {
            line = Files.readString(control, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String[] words = line.split(" ");
        if (words.length != 3) {
            throw new IllegalStateException("the control file is not MODE VICTIM SOURCE");
        }
        return Optional.of(words);
    }

    @Override
    public void publish(AuthenticatedMember member, byte[] bundle, Instant now) throws RelayException {
        real.publish(member, bundle, now);
    }

    @Override
    public void unpublish(byte[] fingerprint) throws RelayException {
        real.unpublish(fingerprint);
    }

    @Override
    public List<Stored> entries() throws RelayException {
        return real.entries();
    }

    @Override
    public void presence(String instance, byte[] fingerprint, int connections) throws RelayException {
        real.presence(instance, fingerprint, connections);
    }

    @Override
    public void heartbeat(String instance, Instant now) throws RelayException {
        real.heartbeat(instance, now);
    }

    @Override
    public void forget(String instance) throws RelayException {
        real.forget(instance);
    }

    @Override
    public Set<String> online(Instant now) throws RelayException {
        return real.online(now);
    }

    @Override
    public void close() {
        real.close();
    }
}
