package org.securep2p.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
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
 *
 * <p>Its pieces ({@link #ourOperations}, {@link #warmUp}, {@link #printTable}) are package-private so that
 * {@code CpuTimeTableWithLibsignal} (Maven profile {@code libsignal}) prints this same table next to libsignal's.
 */
public final class CpuTimeTable {

    /** Operations per sample: enough that the timer's resolution (~1 us) is negligible. */
    static final int BATCH = 20;
    /**
     * All operations are warmed up together, round-robin, before any is measured: Falcon's large methods take
     * the JIT tens of seconds to settle, and an operation measured early would otherwise pay for that.
     */
    static final int WARMUP_SECONDS = 30;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private static final String FULL_QR = "full handshake, both sides, QUANTUM_RESISTANT";
    private static final String SIGN_QR = "transcript signature (Ed25519 + Falcon-1024)";
    private static final String VERIFY_QR = "transcript verification (Ed25519 + Falcon-1024)";

    private CpuTimeTable() {
    }

    /** One row of the table. */
    @FunctionalInterface
    interface Op {
        void run() throws Exception;
    }

    /**
     * An operation that needs fresh state for every run (for instance a session store in which the previous
     * run left a session). {@link #prepare} readies that many runs; it is called before every batch of
     * {@link #BATCH} runs (and before every single warm-up run), outside the measured CPU time.
     */
    interface PreparedOp extends Op {
        void prepare(int runs) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        List<AutoCloseable> toClose = new ArrayList<>();
        Map<String, Op> ops = ourOperations(blackhole(), toClose);
        warmUp(ops.values(), WARMUP_SECONDS);
        Map<String, Double> medians = printTable(ops, samples);
        printPqxdhEquivalent(medians);
        closeAll(toClose);
    }

    static Blackhole blackhole() {
        return new Blackhole(
                "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
    }

    /**
     * This project's rows, in table order, each set up and ready. Whatever must be torn down afterwards is
     * added to {@code toClose}.
     */
    static Map<String, Op> ourOperations(Blackhole bh, List<AutoCloseable> toClose) throws Exception {
        Map<String, Op> ops = new LinkedHashMap<>();
        for (SecurityLevel level : SecurityLevel.values()) {
            HandshakeBenchmark h = handshake(level, false);
            ops.put("full handshake, both sides, " + level, () -> h.fullHandshake(bh));
        }
        HandshakeBenchmark qr = handshake(SecurityLevel.QUANTUM_RESISTANT, false);
        toClose.add(qr::tearDown);
        ops.put("initiator side, QUANTUM_RESISTANT", () -> bh.consume(qr.initiatorSide()));
        ops.put("responder side, QUANTUM_RESISTANT", () -> qr.responderSide(bh));
        HandshakeBenchmark qrOpk = handshake(SecurityLevel.QUANTUM_RESISTANT, true);
        toClose.add(qrOpk::tearDown);
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
        toClose.add(sig::tearDown);
        ops.put(SIGN_QR, () -> bh.consume(sig.signQuantumResistant()));
        ops.put(VERIFY_QR, () -> bh.consume(sig.verifyQuantumResistant()));
        return ops;
    }

    /** Runs all {@code ops} round-robin for {@code seconds}, so that all are measured equally warm. */
    static void warmUp(Collection<Op> ops, int seconds) throws Exception {
        long warmupEnd = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < warmupEnd) {
            for (Op op : ops) {
                if (op instanceof PreparedOp p) {
                    p.prepare(1);
                }
                op.run();
            }
        }
    }

    /** Measures each op in turn and prints the table (header and one row each); returns the medians. */
    static Map<String, Double> printTable(Map<String, Op> ops, int samples) throws Exception {
        System.out.printf(Locale.ROOT, "%-66s %10s %10s %10s%n", "operation (thread CPU time)", "median us",
                "p10 us", "p90 us");
        Map<String, Double> medians = new LinkedHashMap<>();
        for (Map.Entry<String, Op> e : ops.entrySet()) {
            double[] perOp = measure(e.getValue(), samples);
            medians.put(e.getKey(), perOp[perOp.length / 2]);
            System.out.printf(Locale.ROOT, "%-66s %10.1f %10.1f %10.1f%n", e.getKey(), perOp[perOp.length / 2],
                    perOp[perOp.length / 10], perOp[perOp.length * 9 / 10]);
        }
        return medians;
    }

    /**
     * Prints (and returns) the derived PQXDH-equivalent row: the full QUANTUM_RESISTANT handshake minus the
     * transcript signature and its verification, from the medians of {@link #ourOperations}.
     */
    static double printPqxdhEquivalent(Map<String, Double> medians) {
        double pqxdh = medians.get(FULL_QR) - medians.get(SIGN_QR) - medians.get(VERIFY_QR);
        System.out.printf(Locale.ROOT, "%-66s %10.1f%n",
                "PQXDH-equivalent work, both sides, QUANTUM_RESISTANT (derived)", pqxdh);
        return pqxdh;
    }

    static void closeAll(List<AutoCloseable> toClose) throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
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
            if (op instanceof PreparedOp p) {
                p.prepare(BATCH);
            }
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
