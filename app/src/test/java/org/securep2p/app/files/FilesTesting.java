package org.securep2p.app.files;

import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecretBytes;

/** Offers, file contents and a deliberately small disk for the tests of this package. */
final class FilesTesting {

    static final int CHUNK = FileOffer.MIN_CHUNK_SIZE;

    private FilesTesting() {
    }

    /** An offer of {@code size} bytes in chunks of {@code chunkSize}, every other field from {@code seed}. */
    static FileOffer offer(long size, int chunkSize, long seed) throws CryptoException {
        Random r = new Random(seed);
        byte[] id = bytes(r, FileId.LENGTH);
        byte[] key = bytes(r, FileOffer.KEY_LENGTH);
        try (SecretBytes k = SecretBytes.copyOf(key)) {
            return new FileOffer(FileId.of(id), Instant.ofEpochMilli(r.nextLong(0, 1L << 42)), "caf\u00e9 " + seed + ".txt",
                    "text/plain", size, chunkSize, bytes(r, 32), bytes(r, 32), k);
        }
    }

    static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** Bytes [offset, offset + length) of {@code content}, i.e. one chunk. */
    static byte[] chunk(byte[] content, int index, int chunkSize) {
        int from = index * chunkSize;
        return java.util.Arrays.copyOfRange(content, from, Math.min(content.length, from + chunkSize));
    }

    static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Mounts a tmpfs of {@code size} (e.g. "1m") on {@code dir}, so that a test can fill a disk for real. Skips
     * the test when it cannot: only root may mount, and a container may forbid it even to root.
     */
    static void mountSmallDisk(Path dir, String size) throws IOException, InterruptedException {
        assumeThat(isRoot()).as("mounting a small tmpfs to fill a disk needs root").isTrue();
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs",
                dir.toString()).redirectErrorStream(true).start();
        assumeThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as("mount -t tmpfs refused here (no CAP_SYS_ADMIN?)").isTrue();
    }

    static void unmount(Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("umount", dir.toString()).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            // Still busy (a failed test left a file open): detach it now, so no mount outlives the test.
            Process lazy = new ProcessBuilder("umount", "-l", dir.toString()).redirectErrorStream(true).start();
            if (!lazy.waitFor(30, TimeUnit.SECONDS) || lazy.exitValue() != 0) {
                throw new IOException("umount " + dir + " failed");
            }
        }
    }

    static boolean isMountPoint(Path dir) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mounts"))) {
            String d = dir.toRealPath().toString();
            return lines.anyMatch(l -> l.split(" ", -1)[1].equals(d));
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
