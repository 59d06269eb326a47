package org.securep2p.keymanager;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Kills the key manager's durable holder with SIGKILL at random instants while it consumes one-time prekeys,
 * replenishes them and rotates its signed prekey, restarts it on the same directory, hundreds of times, and
 * checks after every run:
 * <ul>
 *   <li>no one-time prekey id (X25519 or ML-KEM) was ever handed out twice, across all runs: a secret is
 *   printed only after it was returned, and returned only after the consumption was stored, so a printed id
 *   must be refused ever after (checked once more at the end, id by id, on the final state);</li>
 *   <li>the state always loads (a run that cannot load exits by itself, which fails the test);</li>
 *   <li>no key is lost: the identity never changes once a run has served, and a signed prekey id always names
 *   the same public key; signed prekey ids offered never go back.</li>
 * </ul>
 * Random delays come from a printed seed ({@code -Dcrash.seed=...} replays the schedule, not the keys).
 */
class DurableKeyHolderCrashIT {

    private static final int ITERATIONS = Integer.getInteger("crash.iterations", 200);
    /** A run that does not print its ready line within this is broken (a loaded machine needs well under). */
    private static final long READY_TIMEOUT_SECONDS = 30;
    private static final Pattern RECORD = Pattern.compile("(ready|S|X|K) ?([0-9]*) ?([0-9a-f]{64})");

    @TempDir
    Path temp;

    private Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Fast start: the child does little work per run; these halve a cold JVM's start time here.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-XX:-UsePerfData",
                "-cp", System.getProperty("java.class.path"), DurableKeyHolderCrashChild.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(temp.resolve("child-stderr.log").toFile()))
                .start();
    }

    /** Reads every line the child prints until it dies; the first line is handed over as soon as it comes. */
    private static final class Reader extends Thread {
        final List<String> lines = new ArrayList<>();
        final java.util.concurrent.CountDownLatch first = new java.util.concurrent.CountDownLatch(1);
        private final Process process;

        Reader(Process process) {
            this.process = process;
            setDaemon(true);
        }

        @Override
        public void run() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.US_ASCII))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                    first.countDown();
                }
            } catch (IOException ignored) {
                // The pipe of a killed process may end abruptly; what was read is what counts.
            }
            first.countDown();
        }
    }

    @Test
    void sigkillAtRandomPointsNeverReusesOrLosesAKey() throws Exception {
        long seed = Long.getLong("crash.seed", new SecureRandom().nextLong());
        System.out.println("DurableKeyHolderCrashIT seed " + seed + " (replay with -Dcrash.seed=" + seed + ")");
        Random schedule = new Random(seed);
        Path keyDir = temp.resolve("keys");
        String epoch = Long.toString(System.currentTimeMillis());
        long began = System.nanoTime();

        String identity = null;
        Set<String> handedOut = new HashSet<>();
        List<String> handedOutInOrder = new ArrayList<>();
        Map<Integer, String> signedPreKeys = new HashMap<>();
        int lastSignedPreKey = 0;
        int served = 0;
        int killedBeforeReady = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            Process child = start("run", keyDir.toString(), epoch);
            Reader reader = new Reader(child);
            reader.start();
            // Mostly kill while it consumes and rotates; sometimes during start (restore, or first generation).
            boolean early = schedule.nextInt(100) < 15;
            if (early) {
                Thread.sleep(schedule.nextInt(400)); // time is the test: a seeded kill point during start
            } else {
                assertThat(reader.first.await(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("run %d ready", i).isTrue();
                Thread.sleep(schedule.nextInt(250)); // time is the test: a seeded kill point while it serves
            }
            child.destroyForcibly();
            assertThat(child.waitFor(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            reader.join(TimeUnit.SECONDS.toMillis(READY_TIMEOUT_SECONDS));
            if (child.exitValue() != 137) {
                fail("run %d exited by itself with %d: %s; stderr: %s", i, child.exitValue(), reader.lines,
                        Files.readString(temp.resolve("child-stderr.log")));
            }
            List<String> lines;
            synchronized (reader.lines) {
                lines = new ArrayList<>(reader.lines);
            }
            boolean sawReady = false;
            for (int n = 0; n < lines.size(); n++) {
                String line = lines.get(n);
                Matcher m = RECORD.matcher(line);
                if (!m.matches()) {
                    // Only the line being written when the kill came may be cut short.
                    assertThat(n).as("run %d: malformed line %s", i, line).isEqualTo(lines.size() - 1);
                    assertThat(line).doesNotStartWith("E");
                    continue;
                }
                switch (m.group(1)) {
                    case "ready" -> {
                        sawReady = true;
                        if (identity == null) {
                            identity = m.group(3);
                        }
                        assertThat(m.group(3)).as("run %d: identity", i).isEqualTo(identity);
                    }
                    case "S" -> {
                        int id = Integer.parseInt(m.group(2));
                        assertThat(id).as("run %d: signed prekey ids never go back", i)
                                .isGreaterThanOrEqualTo(lastSignedPreKey);
                        lastSignedPreKey = id;
                        String previous = signedPreKeys.putIfAbsent(id, m.group(3));
                        assertThat(previous == null ? m.group(3) : previous)
                                .as("run %d: signed prekey %d keeps its key", i, id).isEqualTo(m.group(3));
                    }
                    default -> {
                        String key = m.group(1) + " " + m.group(2);
                        if (!handedOut.add(key)) {
                            fail("run %d handed out one-time prekey %s a second time (seed %d)", i, key, seed);
                        }
                        handedOutInOrder.add(key);
                    }
                }
            }
            if (sawReady) {
                served++;
            } else {
                killedBeforeReady++;
            }
        }

        Path ids = temp.resolve("handed-out.txt");
        Files.write(ids, handedOutInOrder, StandardCharsets.US_ASCII);
        Process verify = start("verify", keyDir.toString(), ids.toString());
        Reader reader = new Reader(verify);
        reader.start();
        assertThat(verify.waitFor(120, TimeUnit.SECONDS)).isTrue();
        reader.join(10_000);
        assertThat(verify.exitValue()).as("verify: %s; stderr %s", reader.lines,
                Files.readString(temp.resolve("child-stderr.log"))).isZero();
        assertThat(reader.lines).containsExactly("verified " + handedOutInOrder.size() + " " + identity);

        long x = handedOutInOrder.stream().filter(k -> k.startsWith("X")).count();
        long k = handedOutInOrder.size() - x;
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began);
        System.out.printf("DurableKeyHolderCrashIT: %d runs (%d served, %d killed before ready), %d X25519 and %d"
                + " ML-KEM one-time prekeys handed out, none twice; signed prekeys 1..%d; %d s (seed %d)%n",
                ITERATIONS, served, killedBeforeReady, x, k, lastSignedPreKey, seconds, seed);
        assertThat(served).isGreaterThan(ITERATIONS / 2);
        assertThat(x).isGreaterThan(ITERATIONS);
        assertThat(k).isGreaterThan(ITERATIONS / 4);
        assertThat(lastSignedPreKey).as("rotations happened").isGreaterThan(5);
    }
}
