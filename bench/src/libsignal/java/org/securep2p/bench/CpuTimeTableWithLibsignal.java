package org.securep2p.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.openjdk.jmh.infra.Blackhole;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;

/**
 * {@link CpuTimeTable}'s table, then the same measurement of Signal's libsignal PQXDH establishment
 * ({@link LibsignalPqxdh}), in one JVM: all operations of both tables are warmed up together, round-robin,
 * for {@link CpuTimeTable#WARMUP_SECONDS} (or the second argument), then each is measured in turn in thread
 * CPU time, {@code samples} samples of {@link CpuTimeTable#BATCH} operations. Built only with the Maven
 * profile {@code libsignal} (AGPL, comparison only).
 *
 * <p>libsignal's rows need fresh session stores for every run; they are made before each batch, outside the
 * measured time (their cost is shown in the last row, for reference). libsignal's work is native code on the
 * calling thread, so thread CPU time counts it; its native objects are freed by finalizers, on another
 * thread, as our garbage is collected on GC threads: neither is counted, on either side.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar org.securep2p.bench.CpuTimeTableWithLibsignal
 * [samples [warm-up seconds]]}
 */
public final class CpuTimeTableWithLibsignal {

    private static final String FULL = "libsignal PQXDH establishment, both sides";
    private static final String FULL_OPK = "libsignal PQXDH establishment, both sides + one-time prekey";

    private CpuTimeTableWithLibsignal() {
    }

    public static void main(String[] args) throws Exception {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int warmupSeconds = args.length > 1 ? Integer.parseInt(args[1]) : CpuTimeTable.WARMUP_SECONDS;
        Blackhole bh = CpuTimeTable.blackhole();
        List<AutoCloseable> toClose = new ArrayList<>();
        Map<String, CpuTimeTable.Op> ours = CpuTimeTable.ourOperations(bh, toClose);
        Map<String, CpuTimeTable.Op> libsignal = libsignalOperations(bh);

        List<CpuTimeTable.Op> all = new ArrayList<>(ours.values());
        all.addAll(libsignal.values());
        CpuTimeTable.warmUp(all, warmupSeconds);

        System.out.println("securep2p");
        Map<String, Double> ourMedians = CpuTimeTable.printTable(ours, samples);
        double pqxdhEquivalent = CpuTimeTable.printPqxdhEquivalent(ourMedians);
        System.out.println();
        System.out.println("libsignal-client 0.86.5 (native library: " + LibsignalPqxdh.loadedNativeLibrary() + ")");
        Map<String, Double> theirMedians = CpuTimeTable.printTable(libsignal, samples);
        System.out.printf(Locale.ROOT, "%-66s %10.2f%n",
                "ratio: securep2p PQXDH-equivalent / libsignal both sides", pqxdhEquivalent / theirMedians.get(FULL));
        CpuTimeTable.closeAll(toClose);
    }

    static Map<String, CpuTimeTable.Op> libsignalOperations(Blackhole bh) throws Exception {
        LibsignalPqxdh plain = new LibsignalPqxdh(false);
        LibsignalPqxdh withOneTime = new LibsignalPqxdh(true);
        Map<String, CpuTimeTable.Op> ops = new LinkedHashMap<>();
        ops.put(FULL, new Fresh(plain, (p, s) -> bh.consume(p.bobSide(s.bob, p.aliceSide(s.alice)))));
        ops.put("libsignal Alice side (bundle, process, encrypt)",
                new Fresh(plain, (p, s) -> bh.consume(p.aliceSide(s.alice))));
        ops.put("libsignal Bob side (decrypt PreKeySignalMessage)",
                new Fresh(plain, (p, s) -> bh.consume(p.bobSide(s.bob, p.preKeyMessage()))));
        ops.put(FULL_OPK, new Fresh(withOneTime, (p, s) -> bh.consume(p.bobSide(s.bob, p.aliceSide(s.alice)))));
        LibsignalRatchetBenchmark ratchet = new LibsignalRatchetBenchmark();
        ratchet.setUp();
        ops.put("libsignal ratchet chain step, 100 B encrypt + decrypt", () -> bh.consume(ratchet.chainStep()));
        ops.put("libsignal ratchet ping-pong, 100 B encrypt + decrypt", () -> bh.consume(ratchet.pingPong()));
        ops.put("libsignal fresh stores for one run (excluded above)",
                () -> bh.consume(new Stores(withOneTime)));
        return ops;
    }

    /** A fresh Alice store and a fresh Bob store. */
    private static final class Stores {
        final InMemorySignalProtocolStore alice;
        final InMemorySignalProtocolStore bob;

        Stores(LibsignalPqxdh pqxdh) {
            alice = pqxdh.newAliceStore();
            bob = pqxdh.newBobStore();
        }
    }

    @FunctionalInterface
    private interface Run {
        void run(LibsignalPqxdh pqxdh, Stores stores) throws Exception;
    }

    /** A libsignal row: every run takes a pair of stores made, untimed, before its batch. */
    private static final class Fresh implements CpuTimeTable.PreparedOp {
        private final LibsignalPqxdh pqxdh;
        private final Run run;
        private final Deque<Stores> ready = new ArrayDeque<>();

        Fresh(LibsignalPqxdh pqxdh, Run run) {
            this.pqxdh = pqxdh;
            this.run = run;
        }

        @Override
        public void prepare(int runs) {
            ready.clear();
            for (int i = 0; i < runs; i++) {
                ready.add(new Stores(pqxdh));
            }
        }

        @Override
        public void run() throws Exception {
            run.run(pqxdh, ready.remove());
        }
    }
}
