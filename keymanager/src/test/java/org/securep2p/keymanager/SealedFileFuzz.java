package org.securep2p.keymanager;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.securep2p.crypto.SecretBytes;

/**
 * Coverage-guided fuzzing of {@link SealedFile#read}, the decoder of every key file the key manager loads at
 * start (a file anyone with access to the home can damage or replace). Whatever the file holds, reading it ends
 * in {@link KeyManagerException} ({@code CORRUPT_FILE}, {@code UNKNOWN_VERSION} or the authentication-failure
 * reason the caller chose), never another exception; and it opens only to the one plaintext that was sealed
 * under the test key and role, so no change to a sealed file goes unnoticed. Seeds in
 * {@code SealedFileFuzzInputs/} were written by {@link SealedFile#write}.
 */
class SealedFileFuzz {

    static final byte[] KEY = filled(32, 0x5A);
    static final String ROLE = "identity";
    static final byte[] PLAINTEXT = "the sealed key state of the fuzz test".getBytes(StandardCharsets.US_ASCII);

    private static final Path FILE;

    static {
        try {
            Path dir = Files.createTempDirectory("sealed-file-fuzz");
            dir.toFile().deleteOnExit();
            FILE = dir.resolve("state.sealed");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "5m")
    void opensOnlyWhatWasSealedOrIsRefused(byte[] file) throws IOException {
        Files.write(FILE, file);
        try (SecretBytes key = SecretBytes.copyOf(KEY)) {
            byte[] plaintext = SealedFile.read(FILE, ROLE, key, KeyManagerException.Reason.WRONG_PASSPHRASE);
            assertThat(plaintext).isEqualTo(PLAINTEXT);
        } catch (NoSuchFileException e) {
            throw new AssertionError("the file was just written", e);
        } catch (KeyManagerException e) {
            assertThat(e.reason()).isIn(KeyManagerException.Reason.CORRUPT_FILE,
                    KeyManagerException.Reason.UNKNOWN_VERSION, KeyManagerException.Reason.WRONG_PASSPHRASE);
        }
    }

    static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) v);
        return b;
    }
}
