package org.securep2p.keymanager;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;

import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.PrivateKeyState;

/**
 * TEST ONLY, DANGER: a key-manager child that also writes its private key state, in the clear, to a file: the
 * way {@link KeyIsolationIT} learns the keys to look for without the app-side JVM ever receiving them over the
 * socket. {@code KeyIsolationChild <socketDirectory> <secretsFile>}; otherwise {@link KeyManagerMain}'s
 * protocol and backend (hardening first, token on stdin, the same in-memory identity, the same server).
 */
final class KeyIsolationChild {

    private KeyIsolationChild() {
    }

    public static void main(String[] args) throws IOException {
        System.err.println(ProcessHardening.apply().summary());
        byte[] token = KeyManagerMain.readToken(System.in);
        int status;
        try (InMemoryPrivateKeys backend = InMemoryPrivateKeys.generate(new SecureRandom(), Clock.systemUTC(),
                KeyManagerMain.ONE_TIME_PREKEYS, KeyManagerMain.ONE_TIME_KEM_PREKEYS)) {
            byte[] state = PrivateKeyState.encodeForSealedStorage(backend);
            try (OutputStream out = Files.newOutputStream(Files.createFile(Path.of(args[1]),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                    StandardOpenOption.WRITE)) {
                out.write(state);
            } finally {
                Arrays.fill(state, (byte) 0);
            }
            status = KeyManagerMain.serve(Path.of(args[0]), token, backend, System.in, System.out);
        } catch (Exception e) {
            System.err.println("key isolation child: " + e.getClass().getSimpleName());
            status = KeyManagerMain.EXIT_FAILED;
        }
        System.exit(status);
    }
}
