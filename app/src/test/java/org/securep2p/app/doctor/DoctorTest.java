package org.securep2p.app.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.securep2p.app.doctor.DoctorReport.Check;
import org.securep2p.app.doctor.DoctorReport.Verdict;

class DoctorTest {

    /** Probes that answer at once; a test overrides the one it is about. */
    static class Answering implements Probes {
        @Override
        public List<String> stunServers() {
            return List.of("192.0.2.1:3478");
        }

        @Override
        public List<String> turnServers() {
            return List.of("192.0.2.1:3478");
        }

        @Override
        public List<String> relays() {
            return List.of("192.0.2.9:443");
        }

        @Override
        public Check keys() {
            return Check.pass("keys", "fine");
        }

        @Override
        public Check home() {
            return Check.pass("home", "fine");
        }

        @Override
        public Facts.Network network() {
            return VerdictsTest.network(false, Optional.of(false));
        }

        @Override
        public Facts.Turn turn(int index) {
            return VerdictsTest.turnAllocated();
        }

        @Override
        public Facts.Relay relay(int index) {
            return new Facts.Relay(relays().get(index), true, "reached");
        }

        @Override
        public Check ipv6() {
            return Check.pass("ipv6", "fine");
        }

        @Override
        public Check clock() {
            return Check.pass("clock", "fine");
        }
    }

    @Test
    void everyProbeAnsweringGivesTheirChecksInOrder() {
        DoctorReport r = Doctor.diagnose(new Answering(), Duration.ofSeconds(5));
        assertEquals(List.of("keys", "home", "stun:192.0.2.1:3478", "nat", "udp", "turn:192.0.2.1:3478",
                "relay:192.0.2.9:443", "ipv6", "clock"), r.checks().stream().map(Check::name).toList());
        assertTrue(r.ok(), r.text());
        assertEquals(Verdict.DIRECT, r.verdict());
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aKeyringThatNeverAnswersIsAFailedCheckNotAHang() {
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        Probes hanging = new Answering() {
            @Override
            public Check keys() {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    interrupted.countDown();
                }
                return Check.pass("keys", "too late");
            }
        };
        long t0 = System.nanoTime();
        DoctorReport r = Doctor.diagnose(hanging, Duration.ofMillis(300));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 5_000, ms + " ms");
        Check keys = r.checks().get(0);
        assertFalse(keys.ok());
        assertTrue(keys.sentence().startsWith("No answer within"), keys.sentence());
        // The blocked probe is interrupted, not left running.
        org.securep2p.crypto.testing.Await.until("the hanging probe interrupted", Duration.ofSeconds(5),
                () -> interrupted.getCount() == 0);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void silentNetworkProbesBecomeUnansweredServersAndABlockedVerdict() {
        Probes hanging = new Answering() {
            @Override
            public Facts.Network network() {
                throw sleepForever();
            }

            @Override
            public Facts.Turn turn(int index) {
                throw sleepForever();
            }

            @Override
            public Facts.Relay relay(int index) {
                throw new IllegalStateException("connection refused");
            }
        };
        DoctorReport r = Doctor.diagnose(hanging, Duration.ofMillis(300));
        assertEquals(Verdict.UDP_BLOCKED, r.verdict());
        assertFalse(VerdictsTest.check(r, "stun:192.0.2.1:3478").ok());
        assertFalse(VerdictsTest.check(r, "turn:192.0.2.1:3478").ok());
        Check relay = VerdictsTest.check(r, "relay:192.0.2.9:443");
        assertFalse(relay.ok());
        assertTrue(relay.sentence().contains("connection refused"), relay.sentence());
    }

    /** Blocks until interrupted, then returns the exception for the caller to throw. */
    static RuntimeException sleepForever() {
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new IllegalStateException("interrupted");
    }
}
