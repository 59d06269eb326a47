package org.securep2p.transport;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.securep2p.transport.testing.NetLab;

/**
 * A process started in the lab ({@link NetLab#exec}, {@link NetLab#java}) whose output is read as it comes:
 * both streams are drained by daemon threads (a full pipe would stall the child), lines are kept, and a test
 * can wait for a line that starts with a given word. Not its job: stopping the process (the lab does that
 * on close).
 */
final class NetLabProcess {

    private final String name;
    private final Process process;
    private final List<String> stdout = new ArrayList<>();
    private final List<String> stderr = new ArrayList<>();
    private final Thread outPump;
    private final Thread errPump;

    private NetLabProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.outPump = pump(process.getInputStream(), stdout, name + "-out");
        this.errPump = pump(process.getErrorStream(), stderr, name + "-err");
    }

    /** Starts reading {@code process}'s output; {@code name} appears in failure messages. */
    static NetLabProcess of(String name, Process process) {
        return new NetLabProcess(name, process);
    }

    Process process() {
        return process;
    }

    /**
     * Waits up to {@code timeout} for a stdout line starting with {@code start} and returns it; empty if the
     * process ended or the time ran out first.
     */
    Optional<String> awaitLine(String start, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stdout) {
            while (true) {
                for (String line : stdout) {
                    if (line.startsWith(start)) {
                        return Optional.of(line);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!outPump.isAlive() && !process.isAlive())) {
                    return Optional.empty();
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(stdout, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Optional.empty();
                }
            }
        }
    }

    /** As {@link #awaitLine}, but fails with the process's output when the line does not come. */
    String requireLine(String start, Duration timeout) {
        return awaitLine(start, timeout).orElseThrow(
                () -> new AssertionError(name + " printed no line starting with '" + start + "' within " + timeout
                        + "\n" + transcript()));
    }

    /** The rest of the first stdout line that starts with {@code word + " "} (e.g. "RECEIVED 12" → "12"). */
    String value(String word) {
        synchronized (stdout) {
            for (String line : stdout) {
                if (line.startsWith(word + " ")) {
                    return line.substring(word.length() + 1);
                }
            }
        }
        throw new AssertionError(name + " printed no '" + word + "' line\n" + transcript());
    }

    /** Waits for the process to end and returns its exit code; fails with its output if it does not. */
    int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " still runs after " + timeout + "\n" + transcript());
            }
            outPump.join(timeout.toMillis());
            errPump.join(timeout.toMillis());
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + name, e);
        }
    }

    /** Everything it printed so far, for failure messages. */
    String transcript() {
        StringBuilder sb = new StringBuilder("--- " + name + " stdout ---\n");
        synchronized (stdout) {
            stdout.forEach(l -> sb.append(l).append('\n'));
        }
        sb.append("--- ").append(name).append(" stderr ---\n");
        synchronized (stderr) {
            stderr.forEach(l -> sb.append(l).append('\n'));
        }
        return sb.toString();
    }

    private static Thread pump(InputStream in, List<String> sink, String threadName) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (sink) {
                        sink.add(line);
                        sink.notifyAll();
                    }
                }
            } catch (IOException e) {
                // The process was destroyed; what was read stays.
            } finally {
                synchronized (sink) {
                    sink.notifyAll();
                }
            }
        }, threadName);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
