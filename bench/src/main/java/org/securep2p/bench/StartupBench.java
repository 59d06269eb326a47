package org.securep2p.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Start-up of the real program on a warm machine: launches {@code java -jar <jar> --json --home <home>} again
 * and again and measures the time from process start to its first line ({@code ready}: key manager serving,
 * identity loaded, storage key, certificate, trust store — everything the menu needs), then quits it. The first
 * run creates the identity and is reported apart. Prints one table.
 *
 * <pre>java -cp bench/target/benchmarks.jar org.securep2p.bench.StartupBench app/target/securep2p-app.jar 10</pre>
 *
 * Without an OS keyring, set SECUREP2P_PASSPHRASE_FILE (the Argon2id cost, ~0.5 s, is then part of every start).
 */
public final class StartupBench {

    private StartupBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: StartupBench <securep2p-app.jar> [runs]");
            System.exit(2);
        }
        Path jar = Path.of(args[0]).toAbsolutePath();
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path home = Files.createTempDirectory("securep2p-startup");
        double first = once(jar, home);
        List<Double> warm = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            warm.add(once(jar, home));
        }
        Collections.sort(warm);
        System.out.printf(Locale.ROOT, "%-34s %10s%n", "start-up to ready (ms)", "value");
        System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "first run (creates the identity)", first);
        System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "warm min", warm.get(0));
        System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "warm median", warm.get(warm.size() / 2));
        System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "warm max", warm.get(warm.size() - 1));
        System.out.printf(Locale.ROOT, "(%d warm runs; home %s; protection: %s)%n", runs, home,
                System.getenv("SECUREP2P_PASSPHRASE_FILE") != null ? "passphrase file" : "OS keyring");
    }

    private static double once(Path jar, Path home) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long start = System.nanoTime();
        Process p = new ProcessBuilder(java, "-jar", jar.toString(), "--json", "--home", home.toString(), "--name",
                "bench").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        double ms = (System.nanoTime() - start) / 1e6;
        if (line == null || !line.contains("\"ready\"")) {
            p.destroyForcibly();
            throw new IOException("the program did not report ready: " + line);
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"quit\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        p.waitFor();
        return ms;
    }
}
