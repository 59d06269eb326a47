package org.securep2p.transport;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.cert.TransportCertificate;
import org.securep2p.transport.reliable.FaultyLink;
import org.securep2p.transport.reliable.ImpairmentProxy;
import org.securep2p.transport.reliable.ReliableChannel;
import org.securep2p.transport.reliable.ReliableConfig;
import org.securep2p.transport.reliable.UdpDatagramLink;
import org.securep2p.transport.tls.TlsChannel;
import org.securep2p.transport.tls.TlsChannel.Role;

/**
 * The stream under impairment, run as its own JVM inside a lab namespace whose UDP traffic iptables drops at
 * random: two peers on that namespace's loopback, their datagrams passing through {@link ImpairmentProxy}
 * (reordering and duplication), the reliable channel with its production timers and TLS 1.3 on top.
 * Prints {@code SENT}/{@code RECEIVED bytes=N sha256=H} and the channels' and proxy's counters.
 *
 * <p>Arguments: bytes, duplicate probability, reorder probability, seed.
 */
public final class ImpairedTransfer {

    private ImpairedTransfer() {
    }

    public static void main(String[] args) throws Exception {
        long bytes = Long.parseLong(args[0]);
        double duplicate = Double.parseDouble(args[1]);
        double reorder = Double.parseDouble(args[2]);
        long seed = Long.parseLong(args[3]);
        SecureRandom random = new SecureRandom();
        InetAddress lo = InetAddress.getLoopbackAddress();
        DatagramChannel ca = DatagramChannel.open().bind(new InetSocketAddress(lo, 0));
        DatagramChannel cb = DatagramChannel.open().bind(new InetSocketAddress(lo, 0));
        FaultyLink.Impairment imp = new FaultyLink.Impairment(0, duplicate, reorder, Duration.ofMillis(1),
                Duration.ZERO);
        Path certs = Files.createTempDirectory("impaired");
        try (ImpairmentProxy proxy = ImpairmentProxy.start((InetSocketAddress) ca.getLocalAddress(),
                (InetSocketAddress) cb.getLocalAddress(), imp, seed);
             InMemoryPrivateKeys ka = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0);
             InMemoryPrivateKeys kb = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0)) {
            ca.connect(proxy.addressForA());
            cb.connect(proxy.addressForB());
            ReliableConfig config = ReliableConfig.builder().connectionId(random.nextInt()).build();
            ReliableChannel a = ReliableChannel.open(UdpDatagramLink.of(ca), config);
            ReliableChannel b = ReliableChannel.open(UdpDatagramLink.of(cb), config);
            TransportCertificate certA = TransportCertificate.loadOrCreate(certs.resolve("a"), ka, Clock.systemUTC());
            TransportCertificate certB = TransportCertificate.loadOrCreate(certs.resolve("b"), kb, Clock.systemUTC());
            CompletableFuture<TlsChannel> server = CompletableFuture.supplyAsync(() -> {
                try {
                    return TlsChannel.open(Role.SERVER, b, kb, certB, Optional.of(ka.identity().fingerprint()),
                            SecurityLevel.QUANTUM_RESISTANT, random, TlsChannel.HANDSHAKE_TIMEOUT);
                } catch (TransportException e) {
                    throw new IllegalStateException(e);
                }
            });
            TlsChannel client = TlsChannel.open(Role.CLIENT, a, ka, certA, Optional.of(kb.identity().fingerprint()),
                    SecurityLevel.QUANTUM_RESISTANT, random, TlsChannel.HANDSHAKE_TIMEOUT);
            TlsChannel tlsB = server.get();
            long start = System.nanoTime();
            CompletableFuture<String> receiver = CompletableFuture.supplyAsync(() -> {
                try {
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    InputStream in = tlsB.inputStream();
                    byte[] buf = new byte[64 * 1024];
                    long got = 0;
                    while (got < bytes) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, bytes - got));
                        if (n < 0) {
                            break;
                        }
                        sha.update(buf, 0, n);
                        got += n;
                    }
                    return "RECEIVED bytes=" + got + " sha256=" + HexFormat.of().formatHex(sha.digest());
                } catch (Exception e) {
                    return "ERROR " + e;
                }
            });
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            OutputStream out = client.outputStream();
            byte[] chunk = new byte[16 * 1024];
            for (long sent = 0; sent < bytes; sent += chunk.length) {
                random.nextBytes(chunk);
                int n = (int) Math.min(chunk.length, bytes - sent);
                out.write(chunk, 0, n);
                sha.update(chunk, 0, n);
            }
            out.flush();
            System.out.println("SENT bytes=" + bytes + " sha256=" + HexFormat.of().formatHex(sha.digest()));
            System.out.println(receiver.get());
            System.out.printf("TIME ms=%d%n", (System.nanoTime() - start) / 1_000_000);
            System.out.println("STATS sender " + a.stats());
            System.out.println("STATS receiver " + b.stats());
            System.out.println("PROXY a>b " + proxy.statsToB() + " b>a " + proxy.statsToA());
            System.out.flush();
            client.close();
            tlsB.close();
            a.close();
            b.close();
        }
        System.exit(0);
    }
}
