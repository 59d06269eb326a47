package org.securep2p.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.securep2p.keymanager.KeyManagerMain;

/** Reads the key manager's own report lines (protection, hardening) from its diagnostics log. */
final class KeyManagerDiagnostics {

    private KeyManagerDiagnostics() {
    }

    /** The key manager's last "cannot serve" line, if it wrote one. */
    static java.util.Optional<String> lastFailure(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith("keymanager: cannot serve: ")) {
                    return java.util.Optional.of(lines.get(i));
                }
            }
        } catch (IOException e) {
            // Nothing to add.
        }
        return java.util.Optional.empty();
    }

    /**
     * The key manager's "rollback detected" line from its latest start (after its last hardening line, the first
     * line every start writes), if it wrote one: its key state was older than one it had already used.
     */
    static java.util.Optional<String> rollbackInLatestStart(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String line = lines.get(i);
                if (line.startsWith(KeyManagerMain.ROLLBACK_PREFIX)) {
                    return java.util.Optional.of(line);
                }
                if (line.startsWith("keymanager hardening: ")) {
                    break;
                }
            }
        } catch (IOException e) {
            // Nothing to report.
        }
        return java.util.Optional.empty();
    }

    /** {@code [key protection, memory protection]} as short phrases for the status bar. */
    static String[] read(Path log) {
        String protection = "unknown";
        String memory = "unknown";
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (String line : lines) {
                if (line.startsWith("keymanager: keys protected by ")) {
                    protection = line.contains("passphrase") ? "passphrase" : "OS keyring";
                } else if (line.startsWith("keymanager hardening: ")) {
                    memory = line.contains("memory-locked=ACTIVE") ? "memory locked" : "memory not locked";
                }
            }
        } catch (IOException e) {
            // Shown as unknown.
        }
        return new String[] {protection, memory};
    }
}
