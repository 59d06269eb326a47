package org.securep2p.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.message.SignalMessage;

/**
 * libsignal's Double Ratchet (with its SPQR post-quantum ratchet) per 100-byte message, encrypt plus decrypt,
 * in-memory stores, for comparison with {@link RatchetBenchmark}: {@link #chainStep} one direction,
 * {@link #pingPong} alternating (a DH step per message). Profile {@code libsignal} only.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
public class LibsignalRatchetBenchmark {

    private SessionCipher alice;
    private SessionCipher bob;
    private SessionCipher pingAlice;
    private SessionCipher pingBob;
    private byte[] message;
    private boolean aliceTurn = true;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        LibsignalPqxdh pqxdh = new LibsignalPqxdh(false);
        SessionCipher[] one = pqxdh.establishedSession();
        alice = one[0];
        bob = one[1];
        SessionCipher[] two = pqxdh.establishedSession();
        pingAlice = two[0];
        pingBob = two[1];
        message = pqxdh.plaintext();
    }

    @Benchmark
    public byte[] chainStep() throws Exception {
        return bob.decrypt(new SignalMessage(alice.encrypt(message).serialize()));
    }

    @Benchmark
    public byte[] pingPong() throws Exception {
        aliceTurn = !aliceTurn;
        return aliceTurn ? pingBob.decrypt(new SignalMessage(pingAlice.encrypt(message).serialize()))
                : pingAlice.decrypt(new SignalMessage(pingBob.encrypt(message).serialize()));
    }
}
