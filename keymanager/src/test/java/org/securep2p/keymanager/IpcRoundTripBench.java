package org.securep2p.keymanager;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;

import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.PreKeyViews;
import org.securep2p.crypto.SecretBytes;

/**
 * What the IPC costs: µs per call for IDENTITY and AGREE_IDENTITY through the socket against the same call on
 * the in-memory backend, and the cold start of a key-manager child until it serves. Run by hand (not a test):
 * {@code java -cp <test classpath> org.securep2p.keymanager.IpcRoundTripBench}. No assertions: figures only.
 */
final class IpcRoundTripBench {

    private static final int WARMUP = 5_000;
    private static final int ROUNDS = 20_000;
    private static final int COLD_STARTS = 5;

    private IpcRoundTripBench() {
    }

    private interface Op {
        void run() throws Exception;
    }

    private static double microsPerCall(Op op) throws Exception {
        for (int i = 0; i < WARMUP; i++) {
            op.run();
        }
        long start = System.nanoTime();
        for (int i = 0; i < ROUNDS; i++) {
            op.run();
        }
        return (System.nanoTime() - start) / 1_000.0 / ROUNDS;
    }

    public static void main(String[] args) throws Exception {
        SecureRandom random = new SecureRandom();
        Path dir = Files.createTempDirectory("km-bench");
        byte[] token = new byte[IpcCodec.TOKEN_LENGTH];
        random.nextBytes(token);
        try (InMemoryPrivateKeys keys = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0);
                KeyManagerServer server = KeyManagerServer.start(dir.resolve("km"), token, keys);
                KeyManagerClient client = KeyManagerClient.connect(server.socketPath(), token)) {
            byte[] peer = PreKeyViews.signedPreKey(keys.preKeyBundle()).publicKey();
            double idDirect = microsPerCall(keys::identity);
            double idIpc = microsPerCall(client::fetchIdentity);
            double agreeDirect = microsPerCall(() -> {
                try (SecretBytes s = keys.agreeWithIdentityKey(peer)) {
                    s.length();
                }
            });
            double agreeIpc = microsPerCall(() -> {
                try (SecretBytes s = client.agreeWithIdentityKey(peer)) {
                    s.length();
                }
            });
            System.out.printf("%-16s %12s %12s %12s%n", "op", "direct µs", "IPC µs", "added µs");
            System.out.printf("%-16s %12.2f %12.2f %12.2f%n", "IDENTITY", idDirect, idIpc, idIpc - idDirect);
            System.out.printf("%-16s %12.2f %12.2f %12.2f%n", "AGREE_IDENTITY", agreeDirect, agreeIpc,
                    agreeIpc - agreeDirect);
        }
        for (int i = 0; i < COLD_STARTS; i++) {
            long start = System.nanoTime();
            try (KeyManagerProcess p = KeyManagerProcess.start(dir.resolve("cold"), random)) {
                long servingMs = (System.nanoTime() - start) / 1_000_000;
                System.out.printf("cold start %d: %d ms to serving (child JVM + key generation + HELLO)%n", i + 1,
                        servingMs);
            }
        }
    }
}
