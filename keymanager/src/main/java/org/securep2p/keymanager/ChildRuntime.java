package org.securep2p.keymanager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The Java runtime a key-manager child runs on: the one named by {@link KeyManagerProcess#CHILD_JAVA_HOME_PROPERTY}
 * if it is a runtime of 17 or newer, else the app's own. Its feature version and full version are read from the
 * runtime's {@code release} file (no process started), for the child's options and its class-data archive's name.
 */
record ChildRuntime(Path home, int feature, String version) {

    static ChildRuntime choose(String requested) {
        if (requested != null && !requested.isBlank()) {
            try {
                Optional<ChildRuntime> other = read(Path.of(requested));
                if (other.isPresent() && other.get().feature() >= 17) {
                    return other.get();
                }
            } catch (InvalidPathException e) {
                // Not a path: the app's runtime, as documented.
            }
        }
        return new ChildRuntime(Path.of(System.getProperty("java.home")), Runtime.version().feature(),
                System.getProperty("java.vm.version"));
    }

    /** The runtime at {@code home}, if it is an absolute path holding bin/java and a readable release file. */
    static Optional<ChildRuntime> read(Path home) {
        if (!home.isAbsolute() || !Files.isExecutable(home.resolve("bin").resolve("java"))) {
            return Optional.empty();
        }
        try {
            String version = null;
            for (String line : Files.readAllLines(home.resolve("release"), StandardCharsets.UTF_8)) {
                if (line.startsWith("JAVA_RUNTIME_VERSION=\"") && line.endsWith("\"") && line.length() > 23) {
                    version = line.substring(22, line.length() - 1);
                } else if (version == null && line.startsWith("JAVA_VERSION=\"") && line.endsWith("\"")) {
                    version = line.substring(14, line.length() - 1);
                }
            }
            if (version == null) {
                return Optional.empty();
            }
            String digits = version.startsWith("1.") ? version.substring(2) : version;
            int end = 0;
            while (end < digits.length() && Character.isDigit(digits.charAt(end)) && end < 4) {
                end++;
            }
            return end == 0 ? Optional.empty()
                    : Optional.of(new ChildRuntime(home, Integer.parseInt(digits.substring(0, end)), version));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
