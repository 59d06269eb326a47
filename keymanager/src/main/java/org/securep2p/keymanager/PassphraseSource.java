package org.securep2p.keymanager;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import static org.securep2p.keymanager.KeyManagerException.Reason.PASSPHRASE_FILE_INSECURE;
import static org.securep2p.keymanager.KeyManagerException.Reason.PASSPHRASE_INVALID;
import static org.securep2p.keymanager.KeyManagerException.Reason.PASSPHRASE_MISMATCH;
import static org.securep2p.keymanager.KeyManagerException.Reason.PASSPHRASE_REQUIRED;
import static org.securep2p.keymanager.KeyManagerException.Reason.STORAGE_FAILED;

/**
 * Where the passphrase of a passphrase-protected key directory comes from: a private file
 * ({@code SECUREP2P_PASSPHRASE_FILE}), an already-open stream such as an inherited file descriptor, or an
 * interactive console prompt without echo. Each returns a fresh {@code char[]} that the caller wipes.
 *
 * <p>Guarantees: a passphrase is never defaulted, never logged and never part of an exception message; a
 * passphrase file that group or others can read is refused; only the first line counts, with its line end
 * removed. Not its job: judging the strength of a passphrase.
 */
public interface PassphraseSource {

    /** The environment variable naming a passphrase file for headless use. */
    String PASSPHRASE_FILE_VARIABLE = "SECUREP2P_PASSPHRASE_FILE";

    /**
     * The passphrase. {@code creating} is true when a new key directory is being set up: an interactive
     * source then asks twice and fails with {@code PASSPHRASE_MISMATCH} if the answers differ.
     */
    char[] passphrase(boolean creating) throws KeyManagerException;

    /** Where the passphrase came from, for the security log ("passphrase file /x", "console"). */
    String description();

    /**
     * How many answers an existing key directory may try before {@code WRONG_PASSPHRASE} is final: one for a
     * file or stream, which would give the same answer again; three where a person types it.
     */
    default int attempts() {
        return 1;
    }

    /** A file the owner alone can read; checked and read on each call. */
    static PassphraseSource fromFile(Path file) {
        Objects.requireNonNull(file, "file");
        return new PassphraseSource() {
            @Override
            public char[] passphrase(boolean creating) throws KeyManagerException {
                try {
                    if (KeyDirectory.posix(file)) {
                        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
                        Set<PosixFilePermission> loose = EnumSet.copyOf(mode);
                        loose.retainAll(PassphraseText.GROUP_OR_OTHERS);
                        if (!loose.isEmpty()) {
                            throw new KeyManagerException(PASSPHRASE_FILE_INSECURE, "passphrase file " + file
                                    + " has mode " + PosixFilePermissions.toString(mode));
                        }
                    }
                    try (InputStream in = Files.newInputStream(file)) {
                        return PassphraseText.readFirstLine(in, "passphrase file " + file);
                    }
                } catch (NoSuchFileException e) {
                    throw new KeyManagerException(PASSPHRASE_REQUIRED, "passphrase file " + file + " does not exist");
                } catch (IOException e) {
                    throw new KeyManagerException(STORAGE_FAILED, "cannot read passphrase file " + file, e);
                }
            }

            @Override
            public String description() {
                return "passphrase file " + file;
            }
        };
    }

    /**
     * The first line of an already-open stream (an inherited file descriptor, a pipe). The stream is read,
     * not closed; a stream yields its passphrase once.
     */
    static PassphraseSource fromStream(InputStream in, String description) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(description, "description");
        return new PassphraseSource() {
            @Override
            public char[] passphrase(boolean creating) throws KeyManagerException {
                try {
                    return PassphraseText.readFirstLine(in, description);
                } catch (IOException e) {
                    throw new KeyManagerException(STORAGE_FAILED, "cannot read the passphrase from " + description, e);
                }
            }

            @Override
            public String description() {
                return description;
            }
        };
    }

    /**
     * The app's user, asked through the key manager's parent ({@link PassphrasePrompt}): for each answer it
     * prints one line {@code keymanager passphrase NEW|EXISTING|RETRY} on {@code toParent} and reads the first
     * line of {@code fromParent}, the passphrase in UTF-8. An empty line means the user declined:
     * {@code PASSPHRASE_REQUIRED}. Asking twice for a new one is the parent's part.
     */
    static PassphraseSource fromParent(InputStream fromParent, PrintStream toParent) {
        Objects.requireNonNull(fromParent, "fromParent");
        Objects.requireNonNull(toParent, "toParent");
        return new PassphraseSource() {
            private int asked;

            @Override
            public char[] passphrase(boolean creating) throws KeyManagerException {
                PassphrasePrompt.Request request = creating ? PassphrasePrompt.Request.NEW
                        : asked++ == 0 ? PassphrasePrompt.Request.EXISTING : PassphrasePrompt.Request.RETRY;
                toParent.println(PASSPHRASE_REQUEST_PREFIX + request.name());
                toParent.flush();
                try {
                    // An empty answer is the user declining, not a passphrase that is too short.
                    return PassphraseText.readFirstLine(fromParent, "the app's answer", PASSPHRASE_REQUIRED);
                } catch (IOException e) {
                    throw new KeyManagerException(STORAGE_FAILED, "cannot read the passphrase from the app", e);
                }
            }

            @Override
            public String description() {
                return "the app's prompt";
            }

            @Override
            public int attempts() {
                return 3;
            }
        };
    }

    /** The start of the line a key manager prints to ask its parent for a passphrase; the request follows. */
    String PASSPHRASE_REQUEST_PREFIX = "keymanager passphrase ";

    /** An interactive prompt without echo; asks twice when creating. */
    static PassphraseSource fromConsole(Console console) {
        Objects.requireNonNull(console, "console");
        return new PassphraseSource() {
            @Override
            public char[] passphrase(boolean creating) throws KeyManagerException {
                char[] first = console.readPassword(creating
                        ? "New passphrase for the securep2p keys: " : "Passphrase for the securep2p keys: ");
                if (first == null) {
                    throw new KeyManagerException(PASSPHRASE_REQUIRED, "the console closed before a passphrase");
                }
                if (!creating) {
                    return first;
                }
                char[] second = console.readPassword("Repeat the passphrase: ");
                boolean same = second != null && PassphraseText.equalsConstantTime(first, second);
                if (second != null) {
                    Arrays.fill(second, '\0');
                }
                if (!same) {
                    Arrays.fill(first, '\0');
                    throw new KeyManagerException(PASSPHRASE_MISMATCH, "the repeated passphrase differs");
                }
                return first;
            }

            @Override
            public String description() {
                return "console prompt";
            }
        };
    }
}

/** Reading a passphrase as text without Strings, so every buffer can be wiped. */
final class PassphraseText {

    static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.complementOf(
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE));

    private PassphraseText() {
    }

    /** The first line of {@code in} (up to {@code \n}, without a trailing {@code \r}), strict UTF-8. */
    static char[] readFirstLine(InputStream in, String what) throws IOException, KeyManagerException {
        return readFirstLine(in, what, PASSPHRASE_INVALID);
    }

    /** As above; an empty line fails with {@code ifEmpty}. */
    static char[] readFirstLine(InputStream in, String what, KeyManagerException.Reason ifEmpty)
            throws IOException, KeyManagerException {
        byte[] line = new byte[KdfParameters.MAX_PASSPHRASE_BYTES + 2];
        int length = 0;
        try {
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                if (length == line.length) {
                    throw new KeyManagerException(PASSPHRASE_INVALID, what + " holds more than "
                            + KdfParameters.MAX_PASSPHRASE_BYTES + " bytes");
                }
                line[length++] = (byte) b;
            }
            if (length > 0 && line[length - 1] == '\r') {
                length--;
            }
            if (length == 0) {
                throw new KeyManagerException(ifEmpty, what + " holds an empty passphrase");
            }
            if (length > KdfParameters.MAX_PASSPHRASE_BYTES) {
                throw new KeyManagerException(PASSPHRASE_INVALID, what + " holds more than "
                        + KdfParameters.MAX_PASSPHRASE_BYTES + " bytes");
            }
            return decode(line, length, what);
        } finally {
            Arrays.fill(line, (byte) 0);
        }
    }

    private static char[] decode(byte[] bytes, int length, String what) throws KeyManagerException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer chars = null;
        try {
            chars = decoder.decode(ByteBuffer.wrap(bytes, 0, length));
            char[] out = new char[chars.remaining()];
            chars.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new KeyManagerException(PASSPHRASE_INVALID, what + " is not valid UTF-8");
        } finally {
            if (chars != null && chars.hasArray()) {
                Arrays.fill(chars.array(), '\0');
            }
        }
    }

    static boolean equalsConstantTime(char[] a, char[] b) {
        byte[] x = null;
        byte[] y = null;
        try {
            x = KdfParameters.utf8(a);
            y = KdfParameters.utf8(b);
            return MessageDigest.isEqual(x, y);
        } catch (KeyManagerException invalid) {
            // An invalid passphrase is refused when it is used; here it only has to count as "not equal".
            return false;
        } finally {
            if (x != null) {
                Arrays.fill(x, (byte) 0);
            }
            if (y != null) {
                Arrays.fill(y, (byte) 0);
            }
        }
    }
}
