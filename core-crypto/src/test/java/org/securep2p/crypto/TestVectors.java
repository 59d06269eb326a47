package org.securep2p.crypto;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Finds the standard test vectors (the folder {@code shared/vectors}, given by the system property
 * {@value #PROPERTY}, which Surefire passes) and reads their three formats: Wycheproof JSON, ACVP
 * {@code name = HEX} text and NIST {@code .rsp} files. Without the folder the known-answer tests are reported
 * as skipped (assumption), never silently passed; a file missing from a folder that exists is a failure.
 */
final class TestVectors {

    static final String PROPERTY = "securep2p.vectors";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private TestVectors() {
    }

    /** The vectors folder; aborts the calling test (assumption) when it is not configured or not there. */
    static Path dir() {
        String configured = System.getProperty(PROPERTY);
        assumeTrue(present(), "standard test vectors not found (" + PROPERTY + "=" + configured
                + "): set -D" + PROPERTY + "=DIR (the folder shared/vectors)");
        return Path.of(configured);
    }

    /**
     * The dynamic tests that {@code build} makes from the vectors; without the vectors folder, a single test
     * that aborts with the message of {@link #dir()} instead. (An assumption failing inside a test factory
     * itself is not reported by Surefire at all, so the skip would go unseen.)
     */
    static Stream<DynamicNode> withVectors(Supplier<Stream<? extends DynamicNode>> build) {
        if (!present()) {
            return Stream.of(dynamicTest("standard test vectors present", TestVectors::dir));
        }
        return build.get().map(DynamicNode.class::cast);
    }

    private static boolean present() {
        String configured = System.getProperty(PROPERTY);
        return configured != null && !configured.isBlank() && Files.isDirectory(Path.of(configured));
    }

    /** A file of the vectors folder, e.g. {@code wycheproof/x25519_test.json}. */
    static Path file(String relative) {
        Path f = dir().resolve(relative);
        if (!Files.isRegularFile(f)) {
            fail("vector file " + f + " is missing from " + PROPERTY + "=" + dir());
        }
        return f;
    }

    static byte[] hex(String s) {
        return HEX.parseHex(s);
    }

    static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    // ---------------------------------------------------------------- Wycheproof (testvectors_v1)

    /** A Wycheproof file, checked to carry the schema and algorithm the caller's checks are written for. */
    static WycheproofFile wycheproof(String fileName, String expectedSchema, String expectedAlgorithm) {
        Path f = file("wycheproof/" + fileName);
        JsonNode root;
        try {
            root = JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + f, e);
        }
        assertThat(root.path("schema").asText()).as("%s schema", fileName).isEqualTo(expectedSchema);
        assertThat(root.path("algorithm").asText()).as("%s algorithm", fileName).isEqualTo(expectedAlgorithm);
        List<WycheproofCase> cases = new ArrayList<>();
        for (JsonNode group : root.path("testGroups")) {
            for (JsonNode test : group.path("tests")) {
                cases.add(new WycheproofCase(fileName, group, test));
            }
        }
        assertThat(cases).as("%s test cases", fileName).hasSize(root.path("numberOfTests").asInt());
        return new WycheproofFile(fileName, Collections.unmodifiableList(cases));
    }

    record WycheproofFile(String name, List<WycheproofCase> cases) {
    }

    /** One Wycheproof test with its group (which holds shared parameters such as key and IV sizes). */
    record WycheproofCase(String file, JsonNode group, JsonNode test) {

        int tcId() {
            return test.path("tcId").asInt();
        }

        String result() {
            return test.path("result").asText();
        }

        boolean isValid() {
            return "valid".equals(result());
        }

        boolean isInvalid() {
            return "invalid".equals(result());
        }

        boolean isAcceptable() {
            return "acceptable".equals(result());
        }

        Set<String> flags() {
            Set<String> flags = new LinkedHashSet<>();
            test.path("flags").forEach(n -> flags.add(n.asText()));
            return flags;
        }

        boolean hasFlag(String flag) {
            return flags().contains(flag);
        }

        boolean has(String field) {
            return test.has(field);
        }

        byte[] bytes(String field) {
            JsonNode n = test.get(field);
            if (n == null || !n.isTextual()) {
                throw new AssertionError(this + ": no hex field '" + field + "'");
            }
            return hex(n.asText());
        }

        int intField(String field) {
            return test.path(field).asInt();
        }

        int groupInt(String field) {
            return group.path(field).asInt();
        }

        /** Shown in the test report: {@code tcId 12 valid [Ktv] comment}. */
        String displayName() {
            String comment = test.path("comment").asText("");
            return "tcId " + tcId() + " " + result() + " " + flags() + (comment.isEmpty() ? "" : " " + comment);
        }

        @Override
        public String toString() {
            return file + " tcId " + tcId() + " (" + result() + " " + flags() + ")";
        }
    }

    // ---------------------------------------------------------------- "name = HEX" records (ACVP text, NIST .rsp)

    /**
     * The records of a {@code name = value} text file: a record is a run of non-blank lines; {@code #} lines
     * are comments. Keys keep the file's spelling; values are trimmed.
     */
    static List<Map<String, String>> records(String relative) {
        Path f = file(relative);
        List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
        List<Map<String, String>> out = new ArrayList<>();
        Map<String, String> current = new LinkedHashMap<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.startsWith("#")) {
                continue;
            }
            if (line.isEmpty()) {
                if (!current.isEmpty()) {
                    out.add(current);
                    current = new LinkedHashMap<>();
                }
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new AssertionError(f + ": line without '=': " + line);
            }
            String key = line.substring(0, eq).strip();
            if (current.put(key, line.substring(eq + 1).strip()) != null) {
                throw new AssertionError(f + ": key '" + key + "' twice in one record");
            }
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }
}
