package org.securep2p.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

import org.securep2p.app.history.HistoryMessage;
import org.securep2p.app.history.Retention;
import org.securep2p.app.history.SqliteHistoryStore;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;

/**
 * The history database at scale (issue 16): 100,000 messages in one {@code history.db} (one conversation of
 * 20,000, 160 of 500; texts of 20 to 200 characters, half sent, half received), then on a real disk:
 * <ul>
 *   <li>opening a conversation: a new store's first {@code page(peer, last, 200)} (the file opened, checked
 *   and the page read and decrypted), and the same page on an open store; target ≤ 50 ms;</li>
 *   <li>one {@code append} including its commit (WAL, {@code synchronous=FULL}: one fsync), target ≤ 2 ms;</li>
 *   <li>{@code conversations()} (the list with unread counts) for reference.</li>
 * </ul>
 * Each measure is preceded by untimed warm-up calls (JIT). The 100,000 rows are written through the store
 * itself in a tmpfs folder (fsync is free there, so filling
 * takes seconds, not minutes), then the closed file is copied to the measured folder (default: a new folder
 * under {@code java.io.tmpdir}; pass one on the disk you care about). Prints one table with the load average.
 *
 * <pre>java -cp bench/target/benchmarks.jar org.securep2p.bench.HistoryBench [folder on disk] [rounds]</pre>
 */
public final class HistoryBench {

    private static final int TOTAL = 100_000;
    private static final int BIG = 20_000;
    private static final int SMALL = 500;
    private static final int PAGE = 200;

    private HistoryBench() {
    }

    public static void main(String[] args) throws Exception {
        Path disk = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("history-bench");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        Files.createDirectories(disk);
        Path shm = Path.of("/dev/shm");
        Path fillDir = Files.isDirectory(shm) ? Files.createTempDirectory(shm, "history-bench")
                : Files.createTempDirectory("history-bench-fill");
        SecureRandom random = new SecureRandom();
        byte[] keyBytes = new byte[32];
        random.nextBytes(keyBytes);
        Clock clock = Clock.systemUTC();
        Fingerprint big = fingerprint(random);
        Fingerprint small = null;
        try (SecretBytes key = SecretBytes.copyOf(keyBytes)) {
            long fillStart = System.nanoTime();
            try (SqliteHistoryStore store = SqliteHistoryStore.open(fillDir.resolve("history.db"), key,
                    Retention.forever(), random, clock)) {
                Instant t = Instant.parse("2026-01-01T00:00:00Z");
                int n = 0;
                for (int i = 0; i < BIG; i++, n++) {
                    store.append(big, message(random, t.plusSeconds(n), i));
                }
                while (n < TOTAL) {
                    Fingerprint peer = fingerprint(random);
                    small = peer;
                    for (int i = 0; i < SMALL && n < TOTAL; i++, n++) {
                        store.append(peer, message(random, t.plusSeconds(n), i));
                    }
                }
            }
            double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
            Path file = disk.resolve("history.db");
            Files.copy(fillDir.resolve("history.db"), file, StandardCopyOption.REPLACE_EXISTING);
            delete(fillDir);
            long size = Files.size(file);

            // Warm-up (JIT, page cache), not measured.
            for (int r = 0; r < 3; r++) {
                firstPage(file, key, random, clock, big);
            }
            double[] firstPageBig = new double[Math.max(1, rounds / 10)];
            double[] firstPageSmall = new double[firstPageBig.length];
            for (int r = 0; r < firstPageBig.length; r++) {
                firstPageBig[r] = firstPage(file, key, random, clock, big);
                firstPageSmall[r] = firstPage(file, key, random, clock, small);
            }
            double[] pageBig = new double[rounds];
            double[] pageSmall = new double[rounds];
            double[] olderPage = new double[rounds];
            double[] list = new double[Math.max(1, rounds / 10)];
            double[] append = new double[rounds * 5];
            try (SqliteHistoryStore store = SqliteHistoryStore.open(file, key, Retention.forever(), random, clock)) {
                List<HistoryMessage> last = store.page(big, Optional.empty(), PAGE);
                check(last.size() == PAGE, "a page of " + PAGE);
                long middle = last.get(0).position() - BIG / 2;
                for (int r = 0; r < 50; r++) {
                    store.page(big, Optional.empty(), PAGE);
                    store.page(big, Optional.of(middle), PAGE);
                }
                for (int r = 0; r < rounds; r++) {
                    pageBig[r] = time(() -> store.page(big, Optional.empty(), PAGE));
                    final Fingerprint s = small;
                    pageSmall[r] = time(() -> store.page(s, Optional.empty(), PAGE));
                    olderPage[r] = time(() -> store.page(big, Optional.of(middle), PAGE));
                }
                for (int r = 0; r < list.length; r++) {
                    list[r] = time(() -> check(store.conversations().size() == 1 + (TOTAL - BIG) / SMALL,
                            "every conversation listed"));
                }
                Instant t = Instant.parse("2026-06-01T00:00:00Z");
                for (int r = 0; r < append.length; r++) {
                    HistoryMessage m = message(random, t.plusSeconds(r), r);
                    Fingerprint peer = r % 2 == 0 ? big : small;
                    append[r] = time(() -> check(store.append(peer, m), "a new message"));
                }
            }
            System.out.printf(Locale.ROOT, "history.db: %,d messages in %d conversations, %,d bytes; filled in %.1f s"
                    + " (tmpfs); measured in %s%n", TOTAL, 1 + (TOTAL - BIG) / SMALL, size, fillSeconds, disk);
            System.out.printf(Locale.ROOT, "%-58s %6s %9s %9s %9s %9s%n", "operation", "n", "median ms", "p95 ms",
                    "p99 ms", "max ms");
            row("open + first page of 200 (20,000-message conversation)", firstPageBig);
            row("open + first page of 200 (500-message conversation)", firstPageSmall);
            row("page of last 200, open store (20,000-message conv.)", pageBig);
            row("page of last 200, open store (500-message conv.)", pageSmall);
            row("page of 200 from the middle (20,000-message conv.)", olderPage);
            row("conversations() (" + (1 + (TOTAL - BIG) / SMALL) + " conversations, unread counts)", list);
            row("append incl. commit (fsync), 30-200-char text", append);
            System.out.println("targets: open a conversation's last 200 <= 50 ms; append incl. commit <= 2 ms");
            System.out.println("loadavg: " + Files.readString(Path.of("/proc/loadavg")).strip());
            System.out.println("java " + System.getProperty("java.version") + ", " + Runtime.getRuntime()
                    .availableProcessors() + " cpus");
        }
        if (args.length == 0) {
            delete(disk);
        }
    }

    private static double firstPage(Path file, SecretBytes key, SecureRandom random, Clock clock, Fingerprint peer)
            throws Exception {
        long start = System.nanoTime();
        try (SqliteHistoryStore store = SqliteHistoryStore.open(file, key, Retention.forever(), random, clock)) {
            check(store.page(peer, Optional.empty(), PAGE).size() == PAGE, "a page of " + PAGE);
            return (System.nanoTime() - start) / 1e6;
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    private static double time(Work w) throws Exception {
        long start = System.nanoTime();
        w.run();
        return (System.nanoTime() - start) / 1e6;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("bench check failed: " + what);
        }
    }

    private static void row(String name, double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        System.out.printf(Locale.ROOT, "%-58s %6d %9.3f %9.3f %9.3f %9.3f%n", name, s.length, pct(s, 50),
                pct(s, 95), pct(s, 99), s[s.length - 1]);
    }

    private static double pct(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static HistoryMessage message(SecureRandom random, Instant time, int i) {
        byte[] id = new byte[16];
        random.nextBytes(id);
        String text = "message " + i + " " + "lorem ipsum dolor sit amet ".repeat(1 + random.nextInt(7));
        String hex = HexFormat.of().formatHex(id);
        return i % 2 == 0 ? HistoryMessage.sent(hex, time, text) : HistoryMessage.received(hex, time, text);
    }

    private static Fingerprint fingerprint(SecureRandom random) throws Exception {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Fingerprint.fromBytes(b);
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
