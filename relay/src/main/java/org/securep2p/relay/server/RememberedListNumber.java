package org.securep2p.relay.server;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The highest revocation-list number an organisation relay has loaded, in {@code crl-number} in its data folder
 * (PROTOCOL.md §23.1, as a member's {@code cert/crl-numbers} of §21.2): a list with a lower number is refused at
 * start, so a stale copy of {@code ca.crl} restored with an old backup cannot let revoked members back in. One CA
 * per relay, so one line: {@code securep2p-relay-crl-number 1}, then {@code <CA key hex> <decimal number>}.
 * Written atomically with fsync before the list is used; a damaged file is refused, never rewritten (deleting it
 * by hand forgets the number). Not thread-safe: {@link MemberTrust} calls it under its lock.
 */
final class RememberedListNumber {

    static final String FILE_NAME = "crl-number";
    private static final String HEADER = "securep2p-relay-crl-number 1";
    private static final long MAX_BYTES = 1024;
    private static final Pattern LINE = Pattern.compile("([0-9a-f]{64}) (0|[1-9][0-9]{0,39})");

    private final Path file;

    RememberedListNumber(Path file) {
        this.file = file;
    }

    /**
     * Checks that list {@code number} of the CA with key {@code caKeyHex} is not older than the one remembered, and
     * remembers it durably if it is higher (or the CA is another one than remembered).
     *
     * @throws IOException a sentence naming both numbers (stale), or the file (damaged, not writable)
     */
    void admit(String caKeyHex, BigInteger number) throws IOException {
        Optional<BigInteger> before = read(caKeyHex);
        if (before.isPresent() && number.compareTo(before.get()) < 0) {
            throw new IOException("the revocation list is number " + number + ", but number " + before.get()
                    + " of this CA was loaded here before; get the current ca.crl from the CA (" + file
                    + " remembers the number)");
        }
        if (before.isEmpty() || number.compareTo(before.get()) > 0) {
            write(HEADER + "\n" + caKeyHex + " " + number + "\n");
        }
    }

    /** The number remembered for this CA; empty without a file or for another CA. */
    private Optional<BigInteger> read(String caKeyHex) throws IOException {
        String text;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw damaged();
            }
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw damaged();
        }
        String[] lines = text.split("\n", -1);
        if (lines.length != 3 || !lines[0].equals(HEADER) || !lines[2].isEmpty()) {
            throw damaged();
        }
        Matcher m = LINE.matcher(lines[1]);
        if (!m.matches()) {
            throw damaged();
        }
        return m.group(1).equals(caKeyHex) ? Optional.of(new BigInteger(m.group(2))) : Optional.empty();
    }

    private void write(String content) throws IOException {
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                c.write(b);
            }
            c.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true); // the rename itself survives a crash
        } catch (IOException ignored) {
            // Some file systems cannot open a directory; the file's own fsync is done.
        }
    }

    private IOException damaged() {
        return new IOException(file + " is damaged; it was left as it is (delete it to forget the remembered "
                + "revocation list number)");
    }

    @Override
    public String toString() {
        return "RememberedListNumber[" + file + "]";
    }
}
