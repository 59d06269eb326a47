package org.securep2p.app.doctor;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.securep2p.app.doctor.DoctorReport.Check;
import org.securep2p.relay.RelayAddress;
import org.securep2p.transport.TransportConfig;

/**
 * {@code securep2p doctor}: checks key protection, the home's permissions, every STUN server and the NAT, UDP
 * egress, every TURN server, every relay, IPv6 and the clock, all at the same time, and says what to do. Every
 * check is bounded by {@link Setup#bound()}: one that has not answered by then (a keyring waiting to be
 * unlocked, a server that drops packets) is a failed check saying so, never a hang. It sends traffic only to
 * the servers the configuration names.
 *
 * <p>Not its job: fixing anything, or asking for a passphrase (keys under a typed passphrase are reported as
 * such, not opened).
 */
public final class Doctor {

    /**
     * What to check: the home folder, the transport settings (STUN and TURN servers, credentials), the relays,
     * the organisation CA's certificate if the home is in organisation mode, the environment (for
     * {@code SECUREP2P_PASSPHRASE_FILE}), and the longest any one check may take.
     */
    public record Setup(Path home, TransportConfig config, List<RelayAddress> relays, Optional<Path> organisationCa,
            Map<String, String> environment, Duration bound) {
        public Setup {
            Objects.requireNonNull(home, "home");
            Objects.requireNonNull(config, "config");
            relays = List.copyOf(relays);
            Objects.requireNonNull(organisationCa, "organisationCa");
            environment = Map.copyOf(environment);
            if (bound.isNegative() || bound.isZero()) {
                throw new IllegalArgumentException("bound must be positive");
            }
        }
    }

    /** How this run checks itself, for the TUI's menu entry; registered by the app's start. */
    private static final java.util.concurrent.atomic.AtomicReference<java.util.function.Supplier<DoctorReport>>
            REGISTERED = new java.util.concurrent.atomic.AtomicReference<>();

    private Doctor() {
    }

    /** Registers how this run makes its report (with the settings it started with), for the TUI's menu entry. */
    public static void register(java.util.function.Supplier<DoctorReport> run) {
        REGISTERED.set(Objects.requireNonNull(run, "run"));
    }

    /** This run's report, made now (blocking up to the bound); empty if the start registered none. */
    public static Optional<DoctorReport> runRegistered() {
        java.util.function.Supplier<DoctorReport> run = REGISTERED.get();
        return run == null ? Optional.empty() : Optional.of(run.get());
    }

    /** Runs every check for real and returns the report; takes at most about {@code setup.bound()}. */
    public static DoctorReport run(Setup setup, SecureRandom random) {
        return diagnose(new RealProbes(setup, random, Clock.systemUTC()), setup.bound());
    }

    /** Runs {@code probes} concurrently, each bounded by {@code bound}, and judges what they found. */
    static DoctorReport diagnose(Probes probes, Duration bound) {
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "securep2p-doctor");
            // A probe still blocked after its bound must not keep the program alive.
            t.setDaemon(true);
            return t;
        });
        try {
            long deadline = System.nanoTime() + bound.toNanos();
            String late = "no answer within " + bound.toSeconds() + " s";
            List<String> stun = probes.stunServers();
            List<String> turn = probes.turnServers();
            List<String> relays = probes.relays();
            Future<Check> keys = pool.submit(probes::keys);
            Future<Check> home = pool.submit(probes::home);
            Future<Facts.Network> network = pool.submit(probes::network);
            List<Future<Facts.Turn>> turns = new ArrayList<>();
            for (int i = 0; i < turn.size(); i++) {
                int index = i;
                turns.add(pool.submit(() -> probes.turn(index)));
            }
            List<Future<Facts.Relay>> relayChecks = new ArrayList<>();
            for (int i = 0; i < relays.size(); i++) {
                int index = i;
                relayChecks.add(pool.submit(() -> probes.relay(index)));
            }
            Future<Check> ipv6 = pool.submit(probes::ipv6);
            Future<Check> clock = pool.submit(probes::clock);

            Check k = await(keys, deadline, late, why -> Check.fail("keys", capitalised(why) + ": a keyring"
                    + " waiting to be unlocked, or a key manager that does not start?"));
            Check h = await(home, deadline, late, why -> Check.fail("home", "Not checked: " + why + "."));
            Facts.Network n = await(network, deadline, late, why -> Facts.Network.unanswered(stun, why));
            List<Facts.Turn> t = new ArrayList<>();
            for (int i = 0; i < turns.size(); i++) {
                String server = turn.get(i);
                t.add(await(turns.get(i), deadline, late, why -> new Facts.Turn(server, true, false, Optional.empty(),
                        why)));
            }
            List<Facts.Relay> r = new ArrayList<>();
            for (int i = 0; i < relayChecks.size(); i++) {
                String address = relays.get(i);
                r.add(await(relayChecks.get(i), deadline, late, why -> new Facts.Relay(address, false,
                        "Not reached: " + why + ".")));
            }
            Check six = await(ipv6, deadline, late, why -> Check.fail("ipv6", "Not checked: " + why + "."));
            Check c = await(clock, deadline, late, why -> Check.fail("clock", "Not checked: " + why + "."));
            return Verdicts.report(new Facts(k, h, n, t, r, six, c));
        } finally {
            pool.shutdownNow();
        }
    }

    private static String capitalised(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** {@code f}'s value, or {@code fallback}'s for why there is none (late, or the probe failed). */
    private static <T> T await(Future<T> f, long deadline, String late, Function<String, T> fallback) {
        try {
            return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return fallback.apply(late);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return fallback.apply("the check failed: " + (cause.getMessage() != null ? cause.getMessage()
                    : cause.getClass().getSimpleName()));
        } catch (CancellationException e) {
            return fallback.apply("cancelled");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fallback.apply("interrupted");
        }
    }

}
