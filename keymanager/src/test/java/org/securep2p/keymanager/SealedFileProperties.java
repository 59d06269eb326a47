package org.securep2p.keymanager;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.securep2p.crypto.SecretBytes;

import static org.assertj.core.api.Assertions.assertThat;

class SealedFileProperties {

    private final SecureRandom random = new SecureRandom();

    @Property(tries = 100)
    void anyContentRoundTripsAndAnyFlipIsRejected(@ForAll @Size(max = 300) byte[] content, @ForAll byte[] keyBytes,
            @ForAll int flipSeed) throws Exception {
        Path dir = Files.createTempDirectory("sealed");
        try (SecretBytes key = SecretBytes.copyOf(java.util.Arrays.copyOf(keyBytes, 32))) {
            Path keys = dir.resolve("keys");
            KeyDirectory.ensure(keys);
            Path file = keys.resolve("f");
            SealedFile.write(file, "prop", content, key, random);
            assertThat(SealedFile.read(file, "prop", key)).isEqualTo(content);

            byte[] sealed = Files.readAllBytes(file);
            int bit = Math.floorMod(flipSeed, sealed.length * 8);
            sealed[bit / 8] ^= (byte) (1 << (bit % 8));
            Files.write(file, sealed);
            SealedFileTest.assertReason(() -> SealedFile.read(file, "prop", key), bit / 8 == SealedFile.MAGIC.length
                    ? KeyManagerException.Reason.UNKNOWN_VERSION : KeyManagerException.Reason.CORRUPT_FILE);
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
