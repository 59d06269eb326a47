package org.securep2p.app.history;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process killed (SIGKILL) in the middle of appending loses no message whose append had returned, and leaves
 * a file that opens: every id the child printed (after its append returned) is in the history, in order.
 */
class HistoryCrashTest {

    @TempDir
    Path dir;

    @Test
    void everyAppendThatReturnedSurvivesAKillInTheMiddleOfTheNext(TestInfo info) throws Exception {
        HistoryTesting t = new HistoryTesting(info.getDisplayName());
        Fingerprint peer = t.fingerprint();
        Path file = dir.resolve("history.db");
        List<String> printed = new ArrayList<>();
        try (SecretBytes key = t.key()) {
            byte[] keyBytes = key.copyBytes();
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), HistoryCrashChild.class.getName(),
                    file.toString(), HexFormat.of().formatHex(keyBytes), HexFormat.of().formatHex(peer.toBytes()))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            java.util.Arrays.fill(keyBytes, (byte) 0);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.US_ASCII))) {
                String line;
                while (printed.size() < 300 && (line = out.readLine()) != null) {
                    addId(printed, line);
                }
                // Killed while it keeps appending: most likely inside an append or its commit.
                // Through the handle: Process.destroyForcibly would also close our end of its output.
                child.toHandle().destroyForcibly();
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
                while ((line = out.readLine()) != null) {
                    addId(printed, line);
                }
            }
            assertThat(printed).hasSizeGreaterThanOrEqualTo(300);

            try (SqliteHistoryStore store = HistoryTesting.open(file, key, Retention.forever())) {
                List<HistoryMessage> all = new ArrayList<>();
                Optional<Long> before = Optional.empty();
                while (true) {
                    List<HistoryMessage> page = store.page(peer, before, 1000);
                    if (page.isEmpty()) {
                        break;
                    }
                    all.addAll(0, page);
                    before = Optional.of(page.get(0).position());
                }
                List<String> stored = all.stream().map(HistoryMessage::id).toList();
                // Everything printed is stored, in order; at most the one append in flight is stored unprinted.
                assertThat(stored.subList(0, printed.size())).isEqualTo(printed);
                assertThat(stored.size()).isBetween(printed.size(), printed.size() + 1);
            }
        }
    }

    /**
     * Keeps a line the child printed if it is a message id (hex): anything else on its stdout (a library's
     * start-up notice, such as logback's when it finds two configurations) is not an append it reports.
     */
    private static void addId(List<String> printed, String line) {
        if (!line.isEmpty() && line.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            printed.add(line);
        }
    }
}
