package org.securep2p.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;

/**
 * Signal's libsignal PQXDH session establishment, for comparison with {@link HandshakeBenchmark} (which see);
 * built only with the Maven profile {@code libsignal} (AGPL, comparison only). What each side does is listed
 * in {@link LibsignalPqxdh}.
 * <ul>
 *   <li>{@link #fullEstablishment}: Alice processes Bob's bundle and encrypts a 100-byte first message, Bob
 *   decrypts the PreKeySignalMessage.</li>
 *   <li>{@link #aliceSide} and {@link #bobSide}: the same work split at the wire. Bob replays one pre-made
 *   message, which a fresh store accepts.</li>
 * </ul>
 * {@code oneTimePreKey=false}: Bob's bundle has no one-time EC prekey (DH1..DH3 + Kyber-1024);
 * {@code true}: it has one (adds DH4 on each side). Every invocation gets a fresh Alice store (no session with
 * Bob) and a fresh Bob store (signed, Kyber and one-time prekeys stored again, no session, no record of seen
 * base keys) in {@code @Setup(Level.Invocation)}, outside the measured time: an invocation takes ~1 ms,
 * far above the per-invocation timing overhead that makes that level unsuitable for small benchmarks.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar LibsignalHandshakeBenchmark -f 1 -wi 6 -w 2s -i 5 -r 2s}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
public class LibsignalHandshakeBenchmark {

    @Param({"false", "true"})
    public boolean oneTimePreKey;

    private LibsignalPqxdh pqxdh;
    private InMemorySignalProtocolStore alice;
    private InMemorySignalProtocolStore bob;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        pqxdh = new LibsignalPqxdh(oneTimePreKey); // runs and checks the establishment
    }

    @Setup(Level.Invocation)
    public void freshStores() {
        alice = pqxdh.newAliceStore();
        bob = pqxdh.newBobStore();
    }

    @Benchmark
    public byte[] fullEstablishment() throws Exception {
        return pqxdh.bobSide(bob, pqxdh.aliceSide(alice));
    }

    @Benchmark
    public byte[] aliceSide() throws Exception {
        return pqxdh.aliceSide(alice);
    }

    @Benchmark
    public byte[] bobSide() throws Exception {
        return pqxdh.bobSide(bob, pqxdh.preKeyMessage());
    }
}
