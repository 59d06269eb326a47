package org.securep2p.transport.ice;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.securep2p.transport.TransportException;

import static org.securep2p.transport.TransportException.Reason.STUN_UNREACHABLE;

/** The one place that prepares ice4j before any of its classes does work. */
public final class IceSupport {

    /**
     * Strong references: java.util.logging keeps loggers weakly, so a level set on a logger nobody holds is
     * forgotten at the next garbage collection.
     */
    private static final Logger ICE4J_LOG = Logger.getLogger("org.ice4j");
    private static final Logger JITSI_LOG = Logger.getLogger("org.jitsi");
    private static volatile boolean initialised;

    private IceSupport() {
    }

    public static synchronized void init() {
        if (initialised) {
            return;
        }
        // application.conf says the same; a system property also wins over any other application.conf that
        // might come first on a class path. The AWS harvester would otherwise send HTTP to 169.254.169.254
        // when the first Agent is created.
        System.setProperty("ice4j.harvest.mapping.aws.enabled", "false");
        System.setProperty("ice4j.harvest.mapping.aws.force", "false");
        System.setProperty("ice4j.software", "");
        // ice4j logs every candidate and pair at INFO, and Agent#toString includes the ICE password.
        ICE4J_LOG.setLevel(Level.WARNING);
        JITSI_LOG.setLevel(Level.WARNING);
        initialised = true;
    }

    /** Resolves a configured host name, giving up at {@code deadlineNanos} (System.nanoTime) at the latest. */
    public static InetAddress resolve(String host, long deadlineNanos) throws TransportException {
        CompletableFuture<InetAddress> f = CompletableFuture.supplyAsync(() -> {
            try {
                return InetAddress.getByName(host);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            return f.get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new TransportException(STUN_UNREACHABLE, "cannot resolve " + host);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException(STUN_UNREACHABLE, "interrupted while resolving " + host);
        }
    }
}
