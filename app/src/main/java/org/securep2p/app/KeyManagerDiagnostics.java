package org.securep2p.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
