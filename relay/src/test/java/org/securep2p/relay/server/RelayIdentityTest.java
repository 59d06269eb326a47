package org.securep2p.relay.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.SeededRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RelayIdentityTest {

    @TempDir
    Path tmp;

    private RelayIdentity load(Path dir, String seed) throws IOException {
        return RelayIdentity.loadOrCreate(dir, new SeededRandom(seed), Clock.systemUTC());
    }

    @Test
    void firstStartMakesAPrivateKeyInAPrivateFolder() throws IOException {
        Path dir = tmp.resolve("data");
        RelayIdentity id = load(dir, "one");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("relay-key.pem"))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(dir.resolve("relay-key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Files.readString(dir.resolve("relay.crt"))).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(id.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=securep2p relay");
        assertThat(id.fingerprintHex()).hasSize(64).matches("[0-9a-f]+");
    }

    @Test
    void theFingerprintSurvivesARestartAndALostCertificate() throws IOException {
        Path dir = tmp.resolve("data");
        byte[] first = load(dir, "one").fingerprint();
        assertThat(load(dir, "two").fingerprint()).isEqualTo(first);
        Files.delete(dir.resolve("relay.crt"));
        assertThat(load(dir, "three").fingerprint()).isEqualTo(first);
        assertThat(load(tmp.resolve("other"), "four").fingerprint()).isNotEqualTo(first);
    }

    @Test
    void instancesGivenTheSameKeyFilesPresentOneFingerprint() throws IOException {
        // Several instances behind one address (PROTOCOL.md §23.5): each --data holds copies of the same two files.
        Path one = tmp.resolve("instance-1");
        RelayIdentity first = load(one, "one");
        Path two = Files.createDirectory(tmp.resolve("instance-2"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        for (String f : new String[] {RelayIdentity.KEY_FILE, RelayIdentity.CERT_FILE}) {
            Files.copy(one.resolve(f), two.resolve(f), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        RelayIdentity second = load(two, "two");
        assertThat(second.fingerprint()).isEqualTo(first.fingerprint());
        assertThat(second.certificate()).isEqualTo(first.certificate());
    }

    @Test
    void refusesACorruptKeyAndLeavesItAlone() throws IOException {
        Path dir = tmp.resolve("data");
        load(dir, "one");
        Path key = dir.resolve("relay-key.pem");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> load(dir, "two")).isInstanceOf(IOException.class)
                .hasMessageContaining("is not an Ed25519 PKCS#8 PEM key");
        assertThat(Files.readString(key)).contains("AAAA");
    }

    @Test
    void refusesAKeyReadableByOthers() throws IOException {
        Path dir = tmp.resolve("data");
        load(dir, "one");
        Files.setPosixFilePermissions(dir.resolve("relay-key.pem"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> load(dir, "two")).hasMessageContaining("chmod 600");
    }

    @Test
    void refusesAFolderOpenToOthers() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> load(dir, "one")).hasMessageContaining("chmod 700");
    }

    @Test
    void refusesACertificateOfAnotherKey() throws IOException {
        Path dir = tmp.resolve("data");
        load(dir, "one");
        load(tmp.resolve("other"), "two");
        Files.copy(tmp.resolve("other").resolve("relay.crt"), dir.resolve("relay.crt"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> load(dir, "three")).hasMessageContaining("is not for the key");
    }

    @Test
    void refusesACertificateWithoutItsKey() throws IOException {
        Path dir = tmp.resolve("data");
        load(dir, "one");
        Files.delete(dir.resolve("relay-key.pem"));
        assertThatThrownBy(() -> load(dir, "two")).hasMessageContaining("but no key");
    }
}
