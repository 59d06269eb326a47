package org.securep2p.app.org;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.store.StoreException;
import org.securep2p.crypto.Fingerprint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** PROTOCOL.md §23.4's local block list: durable, strict, never rewritten when damaged. */
class BlockListTest {

    @TempDir
    Path dir;

    private static Fingerprint fp(int b) throws Exception {
        byte[] x = new byte[Fingerprint.LENGTH];
        x[0] = (byte) b;
        return Fingerprint.fromBytes(x);
    }

    @Test
    void aBlockIsOnDiskWhenTheCallReturns() throws Exception {
        BlockList list = BlockList.open(dir.resolve("org"));
        list.block(fp(1), "Control-Alpha");
        assertThat(list.isBlocked(fp(1))).isTrue();
        assertThat(list.isBlocked(fp(2))).isFalse();
        BlockList reopened = BlockList.open(dir.resolve("org"));
        assertThat(reopened.isBlocked(fp(1))).isTrue();
        assertThat(reopened.entries()).hasSize(1);
        assertThat(reopened.entries().get(0).getValue()).isEqualTo("Control-Alpha");
    }

    @Test
    void unblockingRemovesItDurably() throws Exception {
        BlockList list = BlockList.open(dir.resolve("org"));
        list.block(fp(1), "Control-Alpha");
        list.block(fp(2), "Control-Bravo");
        assertThat(list.unblock(fp(1))).isTrue();
        assertThat(list.unblock(fp(1))).isFalse();
        assertThat(list.unblockNamed("Control-Bravo")).isPresent();
        assertThat(BlockList.open(dir.resolve("org")).entries()).isEmpty();
    }

    @Test
    void aDamagedFileIsRefusedAndLeftAsItIs() throws Exception {
        Path org = Files.createDirectories(dir.resolve("org"));
        Files.setPosixFilePermissions(org, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        byte[] damaged = "securep2p-blocked 1\nnot a line\n".getBytes(StandardCharsets.UTF_8);
        Files.write(org.resolve(BlockList.FILE_NAME), damaged);
        assertThatThrownBy(() -> BlockList.open(org)).isInstanceOfSatisfying(StoreException.class,
                e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.CORRUPT));
        assertThat(Files.readAllBytes(org.resolve(BlockList.FILE_NAME))).isEqualTo(damaged);
    }

    @Test
    void anUnknownVersionIsRefused() throws Exception {
        Path org = Files.createDirectories(dir.resolve("org"));
        Files.setPosixFilePermissions(org, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.write(org.resolve(BlockList.FILE_NAME), "securep2p-blocked 2\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> BlockList.open(org)).isInstanceOfSatisfying(StoreException.class,
                e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.UNKNOWN_VERSION));
    }

    @Test
    void aNameThatIsNotPlainIsNotWritten() throws Exception {
        BlockList list = BlockList.open(dir.resolve("org"));
        assertThatThrownBy(() -> list.block(fp(1), "evil\nname")).isInstanceOf(IllegalArgumentException.class);
        assertThat(list.isBlocked(fp(1))).isFalse();
    }
}
