package org.securep2p.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Locale;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The per-packet cost of the candidates for the reliable channel's packet tag (PROTOCOL.md 13.9), in CPU time
 * of the measuring thread (which neighbours on a shared VM do not inflate): the JDK's HMAC-SHA-256,
 * Bouncy Castle's HMAC-SHA-256, and a Poly1305 tag as Bouncy Castle's ChaCha20-Poly1305 makes it with an empty
 * plaintext, the packet as associated data and the packet number as nonce (re-keyed for every packet, as a
 * nonce-based AEAD must be), and GMAC as the JDK's AES-256-GCM makes it the same way (chosen). Prints median and 10th/90th percentile per packet for a full 1,184-byte packet
 * (what a 1,200-byte datagram's tag covers) and a 100-byte one.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar org.securep2p.bench.PacketTagBench [samples]}
 */
public final class PacketTagBench {

    static final int BATCH = 2_000;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private PacketTagBench() {
    }

    interface Tagger {
        void tag(byte[] packet, int len, long number, byte[] out) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 7);
        Mac jdk = Mac.getInstance("HmacSHA256");
        jdk.init(new SecretKeySpec(key, "HmacSHA256"));
        HMac bc = new HMac(new SHA256Digest());
        bc.init(new KeyParameter(key));
        ChaCha20Poly1305 aead = new ChaCha20Poly1305();
        byte[] nonce = new byte[12];
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        SecretKeySpec aesKey = new SecretKeySpec(key, "AES");
        Tagger[] taggers = {
            (p, len, pn, out) -> {
                jdk.update(p, 0, len);
                jdk.doFinal(out, 0);
            },
            (p, len, pn, out) -> {
                bc.update(p, 0, len);
                bc.doFinal(out, 0);
            },
            (p, len, pn, out) -> {
                for (int i = 0; i < 8; i++) {
                    nonce[4 + i] = (byte) (pn >>> (56 - 8 * i));
                }
                aead.init(true, new AEADParameters(new KeyParameter(key), 128, nonce));
                aead.processAADBytes(p, 0, len);
                aead.doFinal(out, 0);
            },
            (p, len, pn, out) -> {
                for (int i = 0; i < 8; i++) {
                    nonce[4 + i] = (byte) (pn >>> (56 - 8 * i));
                }
                gcm.init(Cipher.ENCRYPT_MODE, aesKey, new GCMParameterSpec(128, nonce));
                gcm.updateAAD(p, 0, len);
                gcm.doFinal(out, 0);
            },
        };
        String[] names = {"HMAC-SHA-256/128, JDK Mac", "HMAC-SHA-256/128, Bouncy Castle HMac",
            "Poly1305 via BC ChaCha20-Poly1305 (AAD only)", "GMAC via JDK AES-256-GCM (AAD only, chosen)"};
        int[] sizes = {1_184, 100};
        byte[] packet = new byte[1_200];
        byte[] out = new byte[64];
        // Warm-up: every candidate and size, round-robin, until the JIT has settled.
        long warmEnd = System.nanoTime() + 10_000_000_000L;
        long pn = 0;
        while (System.nanoTime() < warmEnd) {
            for (Tagger t : taggers) {
                for (int size : sizes) {
                    for (int i = 0; i < BATCH; i++) {
                        t.tag(packet, size, pn++, out);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "packet tag, CPU time per packet (%d samples of %d packets)%n", samples, BATCH);
        System.out.printf(Locale.ROOT, "%-48s %8s %10s %10s %10s%n", "candidate", "bytes", "p10 ns", "median ns",
                "p90 ns");
        for (int c = 0; c < taggers.length; c++) {
            for (int size : sizes) {
                double[] perPacket = new double[samples];
                for (int s = 0; s < samples; s++) {
                    long t0 = THREADS.getCurrentThreadCpuTime();
                    for (int i = 0; i < BATCH; i++) {
                        taggers[c].tag(packet, size, pn++, out);
                    }
                    perPacket[s] = (THREADS.getCurrentThreadCpuTime() - t0) / (double) BATCH;
                }
                Arrays.sort(perPacket);
                System.out.printf(Locale.ROOT, "%-48s %8d %10.0f %10.0f %10.0f%n", names[c], size,
                        perPacket[samples / 10], perPacket[samples / 2], perPacket[samples * 9 / 10]);
            }
        }
        check(out);
    }

    private static void check(byte[] out) throws GeneralSecurityException {
        // Keeps the results live for the JIT.
        if (out[0] == 42 && out[1] == 42 && out[2] == 42) {
            System.out.println();
        }
    }
}
