package org.securep2p.keymanager;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;

import com.sun.management.HotSpotDiagnosticMXBean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.InitialMessage;
import org.securep2p.crypto.KeyStateSecrets;
import org.securep2p.crypto.KeyStateSecrets.Secret;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.SecurityLevel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The key-isolation acceptance test: after full handshakes in which a real key-manager child is the responder,
 * a heap dump of this (app-side) JVM holds none of the child's private keys.
 *
 * <p>How it knows the keys without holding them: the child ({@link KeyIsolationChild}, launched through
 * {@link KeyManagerProcess}) writes its private state to a file at start; this JVM reads that file only after the
 * dump is written. Two controls show the search can fail: a random marker this JVM keeps, and the child's public
 * Ed25519 identity key (bytes that did cross the socket) must both be found.
 */
class KeyIsolationIT {

    /** Bytes of each private key searched for: every key is at least this long, and 2^-256 rules out chance. */
    private static final int PREFIX = 32;
    /** Enough handshakes to consume one-time X25519 and ML-KEM prekeys and use every identity key. */
    private static final int HANDSHAKES = 3;

    @TempDir
    Path temp;

    private final SecureRandom random = new SecureRandom();

    @Test
    void heapDumpAfterHandshakesHoldsNoPrivateKeyOfTheKeyManager() throws Exception {
        byte[] marker = new byte[PREFIX];
        random.nextBytes(marker);
        Path secretsFile = temp.resolve("child-private-state");
        Path dump = temp.resolve("app.hprof");
        byte[] childPublicEd25519;
        try (KeyManagerProcess km = KeyManagerProcess.start(temp.resolve("km"), random,
                KeyIsolationChild.class.getName(), List.of(secretsFile.toString()))) {
            KeyManagerClient bob = km.client();
            HybridHandshake handshake = new HybridHandshake(random, Clock.systemUTC());
            try (InMemoryPrivateKeys alice = InMemoryPrivateKeys.generate(random, Clock.systemUTC(), 0, 0)) {
                for (int i = 0; i < HANDSHAKES; i++) {
                    PreKeyBundle bundle = bob.preKeyBundle();
                    try (HandshakeResult a = handshake.initiate(alice, bundle, SecurityLevel.QUANTUM_RESISTANT,
                            bob.identity().fingerprint(), new byte[] {1, 2, 3});
                            HandshakeResult b = handshake.respond(bob, bundle,
                                    InitialMessage.decode(a.initialMessage().orElseThrow().encode()),
                                    SecurityLevel.QUANTUM_RESISTANT)) {
                        assertThat(a.sessionSecret().equalsConstantTime(b.sessionSecret())).isTrue();
                    }
                }
            }
            childPublicEd25519 = bob.identity().ed25519PublicKey();
            // While the child is alive and the client connected: everything the app side holds is in the heap.
            // live=false also dumps unreachable objects not yet collected, so a key the app side had received
            // and dropped (but not wiped) would still be found.
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(dump.toString(), false);
        }
        try {
            // Only now does this JVM read the child's private keys.
            List<Secret> secrets;
            byte[] state = Files.readAllBytes(secretsFile);
            try {
                secrets = KeyStateSecrets.privateKeys(state);
            } finally {
                Arrays.fill(state, (byte) 0);
            }
            // 3 identity keys, the signed prekey, the last-resort and 2 one-time KEM seeds, 20 one-time prekeys.
            assertThat(secrets).hasSize(3 + 1 + 1 + KeyManagerMain.ONE_TIME_KEM_PREKEYS
                    + KeyManagerMain.ONE_TIME_PREKEYS);
            byte[][] needles = new byte[secrets.size() + 2][];
            for (int i = 0; i < secrets.size(); i++) {
                needles[i] = Arrays.copyOf(secrets.get(i).bytes(), PREFIX);
            }
            needles[secrets.size()] = marker;
            needles[secrets.size() + 1] = childPublicEd25519;
            boolean[] found = search(dump, needles);
            assertThat(found[secrets.size()]).as("control: the marker this JVM holds is in the dump").isTrue();
            assertThat(found[secrets.size() + 1]).as("control: the child's public identity key is in the dump")
                    .isTrue();
            for (int i = 0; i < secrets.size(); i++) {
                assertThat(found[i]).as("%s of the key manager found in the app-side heap dump", secrets.get(i))
                        .isFalse();
            }
            System.out.println("KeyIsolationIT: searched a " + Files.size(dump) / (1024 * 1024) + " MiB heap dump for "
                    + secrets.size() + " private keys of the key manager: none found; both controls found");
            for (Secret s : secrets) {
                Arrays.fill(s.bytes(), (byte) 0);
            }
        } finally {
            Files.deleteIfExists(dump);
            Files.deleteIfExists(secretsFile);
            Arrays.fill(marker, (byte) 0);
        }
    }

    /**
     * Whether each needle (all {@link #PREFIX} bytes long) occurs anywhere in {@code file}. One pass: a table of
     * the needles' first two bytes filters positions, a full compare confirms.
     */
    static boolean[] search(Path file, byte[][] needles) throws IOException {
        boolean[] firstTwo = new boolean[1 << 16];
        for (byte[] n : needles) {
            firstTwo[((n[0] & 0xFF) << 8) | (n[1] & 0xFF)] = true;
        }
        boolean[] found = new boolean[needles.length];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            // Windows overlap by PREFIX - 1 bytes so that no occurrence straddles two of them unseen.
            long window = 256L * 1024 * 1024;
            for (long start = 0; start < size; start += window - (PREFIX - 1)) {
                long length = Math.min(window, size - start);
                MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, start, length);
                int last = (int) length - PREFIX;
                for (int p = 0; p <= last; p++) {
                    if (!firstTwo[((buf.get(p) & 0xFF) << 8) | (buf.get(p + 1) & 0xFF)]) {
                        continue;
                    }
                    for (int k = 0; k < needles.length; k++) {
                        if (!found[k] && matches(buf, p, needles[k])) {
                            found[k] = true;
                        }
                    }
                }
                if (start + length >= size) {
                    break;
                }
            }
        }
        return found;
    }

    private static boolean matches(MappedByteBuffer buf, int p, byte[] needle) {
        for (int i = 0; i < needle.length; i++) {
            if (buf.get(p + i) != needle[i]) {
                return false;
            }
        }
        return true;
    }
}
