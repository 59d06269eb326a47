package org.securep2p.app.doctor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What {@code securep2p doctor} found: every check in a fixed order (name, passed or not, one sentence, details),
 * the verdict on how this machine can reach a peer, and what to do, derived from the checks. Immutable. Its
 * {@link #json()} form has stable field names (README, "Connection doctor"); {@link #text()} is the same for a
 * person, one ✔/✗ line per check. Neither holds a secret: the TURN password and key material are never read
 * into a report.
 */
public final class DoctorReport {

    /** How a connection from this machine can work, as far as the checks can tell. */
    public enum Verdict {
        /** One connection code is enough: nothing in front of this machine drops a peer's first packets. */
        DIRECT,
        /** Direct works, but the peer must send an answer code back (a filtering NAT or firewall). */
        ANSWER_CODE,
        /** Hole punching cannot work, and a configured TURN server allocated a relay: connections go through it. */
        TURN,
        /** Hole punching cannot work and no TURN server allocated a relay: one is needed. */
        NEEDS_TURN,
        /** No UDP answer from any server: direct and TURN connections cannot work; only a relay (TCP) can. */
        UDP_BLOCKED,
        /** Not enough answers to tell (one STUN server that cannot measure, or none configured). */
        UNKNOWN
    }

    /**
     * One check: a stable {@code name} ({@code keys}, {@code home}, {@code stun:HOST:PORT}, {@code nat},
     * {@code udp}, {@code turn:HOST:PORT}, {@code relay:HOST:PORT}, {@code ipv6}, {@code clock}), whether it
     * passed, one sentence for a person, and machine-readable details (values are strings).
     */
    public record Check(String name, boolean ok, String sentence, Map<String, String> details) {
        public Check {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(sentence, "sentence");
            details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
        }

        static Check pass(String name, String sentence) {
            return new Check(name, true, sentence, Map.of());
        }

        static Check fail(String name, String sentence) {
            return new Check(name, false, sentence, Map.of());
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Check> checks;
    private final Verdict verdict;
    private final List<String> advice;

    DoctorReport(List<Check> checks, Verdict verdict, List<String> advice) {
        this.checks = List.copyOf(checks);
        this.verdict = Objects.requireNonNull(verdict, "verdict");
        this.advice = List.copyOf(advice);
    }

    public List<Check> checks() {
        return checks;
    }

    public Verdict verdict() {
        return verdict;
    }

    /** What to do, most important first; never empty. */
    public List<String> advice() {
        return advice;
    }

    /** Whether every check passed. */
    public boolean ok() {
        return checks.stream().allMatch(Check::ok);
    }

    /** The report for a terminal: one "✔ name: sentence" line per check, then "What to do:" and the advice. */
    public String text() {
        StringBuilder b = new StringBuilder();
        for (Check c : checks) {
            b.append(c.ok() ? "✔ " : "✗ ").append(c.name()).append(": ").append(c.sentence()).append('\n');
        }
        b.append("What to do:\n");
        for (String a : advice) {
            b.append("  - ").append(a).append('\n');
        }
        return b.toString();
    }

    /**
     * The report as one JSON object: {@code {"ok": bool, "verdict": "DIRECT"|…, "checks": [{"name", "ok",
     * "sentence", "details": {…}}], "advice": ["…"]}}.
     */
    public String json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("ok", ok());
        root.put("verdict", verdict.name());
        ArrayNode list = root.putArray("checks");
        for (Check c : checks) {
            ObjectNode n = list.addObject();
            n.put("name", c.name());
            n.put("ok", c.ok());
            n.put("sentence", c.sentence());
            ObjectNode d = n.putObject("details");
            c.details().forEach(d::put);
        }
        ArrayNode a = root.putArray("advice");
        advice.forEach(a::add);
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            // A tree of strings and booleans always serialises.
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "DoctorReport[" + verdict + ", " + checks.size() + " checks]";
    }
}
