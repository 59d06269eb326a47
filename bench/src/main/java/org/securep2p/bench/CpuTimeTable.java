package org.securep2p.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.openjdk.jmh.infra.Blackhole;
import org.securep2p.crypto.SecurityLevel;

/**
 * The handshake's cost in <em>CPU time</em> of the measuring thread (not wall-clock time), which is what the
 * handshake target is stated in, and which time stolen from this virtual machine by its neighbours does not
 * inflate. Runs the very methods the JMH benchmarks run, on their own state objects, and prints a table of
 * median and 10th/90th-percentile microseconds per operation, then the derived PQXDH-equivalent figure.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar org.securep2p.bench.CpuTimeTable [samples]}
 */
public final class CpuTimeTable {

    /** Operations per sample: enough that the timer's resolution (~1 us) is negligible. */
    private static final int BATCH = 20;
    /**
     * All operations are warmed up together, round-robin, before any is measured: Falcon's large methods take
     * the JIT tens of seconds to settle, and an operation measured early would otherwise pay for that.
     */
    private static final int WARMUP_SECONDS = 30;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private CpuTimeTable() {
    }

    @FunctionalInterface
    private interface Op {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        Blackhole bh = new Blackhole(
                "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
        Map<String, Op> ops = new LinkedHashMap<>();
        for (SecurityLevel level : SecurityLevel.values()) {
            HandshakeBenchmark h = handshake(level, false);
            ops.put("full handshake, both sides, " + level, () -> h.fullHandshake(bh));
        }
        HandshakeBenchmark qr = handshake(SecurityLevel.QUANTUM_RESISTANT, false);
        ops.put("initiator side, QUANTUM_RESISTANT", () -> bh.consume(qr.initiatorSide()));
        ops.put("responder side, QUANTUM_RESISTANT", () -> qr.responderSide(bh));
        HandshakeBenchmark qrOpk = handshake(SecurityLevel.QUANTUM_RESISTANT, true);
        ops.put("full handshake, both sides, QUANTUM_RESISTANT + one-time prekey", () -> qrOpk.fullHandshake(bh));
        for (SecurityLevel level : SecurityLevel.values()) {
            RatchetBenchmark r = new RatchetBenchmark();
            r.level = level;
            r.setUp();
            ops.put("ratchet chain step, 100 B encrypt + decrypt, " + level, () -> bh.consume(r.chainStep()));
            if (level == SecurityLevel.QUANTUM_RESISTANT) {
                ops.put("ratchet chain step in a KEM chain (3,136 B more per header), " + level,
                        () -> bh.consume(r.chainStepInKemChain()));
            }
            RatchetBenchmark pp = new RatchetBenchmark();
            pp.level = level;
            pp.setUp();
            ops.put("ratchet ping-pong, 100 B encrypt + decrypt, " + level, () -> bh.consume(pp.pingPong()));
        }
        TranscriptSignatureBenchmark sig = new TranscriptSignatureBenchmark();
        sig.setUp();
        ops.put("transcript signature (Ed25519 + Falcon-1024)", () -> bh.consume(sig.signQuantumResistant()));
        ops.put("transcript verification (Ed25519 + Falcon-1024)", () -> bh.consume(sig.verifyQuantumResistant()));

        long warmupEnd = System.nanoTime() + WARMUP_SECONDS * 1_000_000_000L;
        while (System.nanoTime() < warmupEnd) {
            for (Op op : ops.values()) {
                op.run();
            }
        }
        System.out.printf(Locale.ROOT, "%-66s %10s %10s %10s%n", "operation (thread CPU time)", "median us",
                "p10 us", "p90 us");
        Map<String, Double> medians = new LinkedHashMap<>();
        for (Map.Entry<String, Op> e : ops.entrySet()) {
            double[] perOp = measure(e.getValue(), samples);
            medians.put(e.getKey(), perOp[perOp.length / 2]);
            System.out.printf(Locale.ROOT, "%-66s %10.1f %10.1f %10.1f%n", e.getKey(), perOp[perOp.length / 2],
                    perOp[perOp.length / 10], perOp[perOp.length * 9 / 10]);
        }
        double pqxdh = medians.get("full handshake, both sides, QUANTUM_RESISTANT")
                - medians.get("transcript signature (Ed25519 + Falcon-1024)")
                - medians.get("transcript verification (Ed25519 + Falcon-1024)");
        System.out.printf(Locale.ROOT, "%-66s %10.1f%n",
                "PQXDH-equivalent work, both sides, QUANTUM_RESISTANT (derived)", pqxdh);
        qr.tearDown();
        qrOpk.tearDown();
        sig.tearDown();
    }

    private static HandshakeBenchmark handshake(SecurityLevel level, boolean oneTimePreKey) throws Exception {
        HandshakeBenchmark h = new HandshakeBenchmark();
        h.level = level;
        h.oneTimePreKey = oneTimePreKey;
        h.setUp();
        return h;
    }

    /** Sorted per-operation CPU microseconds, one value per sample of {@link #BATCH} operations. */
    private static double[] measure(Op op, int samples) throws Exception {
        List<Double> perOp = new ArrayList<>(samples);
        for (int s = 0; s < samples; s++) {
            long start = THREADS.getCurrentThreadCpuTime();
            for (int i = 0; i < BATCH; i++) {
                op.run();
            }
            perOp.add((THREADS.getCurrentThreadCpuTime() - start) / 1e3 / BATCH);
        }
        double[] sorted = perOp.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        return sorted;
    }
}
