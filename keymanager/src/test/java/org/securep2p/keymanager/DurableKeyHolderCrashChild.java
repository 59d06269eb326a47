package org.securep2p.keymanager;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;

import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMGenerator;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMPublicKeyParameters;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.OneTimePreKey;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.PreKeyViews;
import org.securep2p.crypto.SecretBytes;

/**
 * The process {@link DurableKeyHolderCrashIT} kills. {@code run <keyDir> <epochMillis>}: opens a
 * {@link DurableKeyHolder} on {@code keyDir} and consumes one-time prekeys as fast as it can, printing one line
 * per result it got back (the id and the SHA-256 of the secret, never the secret), flushed before the next
 * operation. Its clock runs {@link #SPEED} times real time from {@code epochMillis}, the same for every run, so
 * signed prekeys rotate about every real second. {@code verify <keyDir> <idsFile>}: every id in the file must be
 * refused with PREKEY_ALREADY_USED.
 *
 * <p>Lines: {@code ready <identity hash>}, {@code S <signed prekey id> <public key hash>} when the offered signed
 * prekey changes, {@code X <id> <secret hash>}, {@code K <id> <secret hash>}; on a failure {@code E <text>}, exit 3.
 */
final class DurableKeyHolderCrashChild {

    /** Simulated seconds per real second: one week per second. */
    static final long SPEED = Duration.ofDays(7).toSeconds();
    static final Instant SIMULATED_START = Instant.parse("2026-01-01T00:00:00Z");
    /** Small targets: replenishment (a Falcon signature per KEM prekey) happens often, as do empty pools. */
    static final int ONE_TIME_TARGET = 4;
    static final int ONE_TIME_KEM_TARGET = 2;

    private DurableKeyHolderCrashChild() {
    }

    static Clock fastClock(long epochMillis) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Instant instant() {
                long realMillis = Math.max(0, System.currentTimeMillis() - epochMillis);
                return SIMULATED_START.plusMillis(realMillis * SPEED);
            }
        };
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /**
     * The production vault (sealed, atomic), so the kills land inside the real write path. The master key is a
     * fixed test key: what is under test is durability, not where the master key comes from.
     */
    static StateVault vault(Path keyDir, SecureRandom random) throws Exception {
        byte[] key = java.security.MessageDigest.getInstance("SHA-256")
                .digest("securep2p crash test master key".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return new SealedStateVault(keyDir, org.securep2p.crypto.SecretBytes.copyOf(key), random);
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        SecureRandom random = new SecureRandom();
        Path keyDir = Path.of(args[1]);
        if (args[0].equals("verify")) {
            System.exit(verify(keyDir, Path.of(args[2]), random, out));
        }
        Clock clock = fastClock(Long.parseLong(args[2]));
        try (DurableKeyHolder holder = DurableKeyHolder.open(vault(keyDir, random), true, random, clock,
                ONE_TIME_TARGET, ONE_TIME_KEM_TARGET)) {
            out.println("ready " + sha256(holder.identity().encoded()));
            out.flush();
            int lastSpk = -1;
            while (true) {
                PreKeyBundle bundle = holder.preKeyBundle();
                if (PreKeyViews.signedPreKey(bundle).id() != lastSpk) {
                    lastSpk = PreKeyViews.signedPreKey(bundle).id();
                    out.println("S " + lastSpk + " " + sha256(PreKeyViews.signedPreKey(bundle).publicKey()));
                    out.flush();
                }
                if (bundle.oneTimePreKey().isPresent()) {
                    OneTimePreKey opk = bundle.oneTimePreKey().get();
                    X25519PrivateKeyParameters peer = new X25519PrivateKeyParameters(random);
                    byte[] expected = new byte[32];
                    peer.generateSecret(new X25519PublicKeyParameters(opk.publicKey()), expected, 0);
                    try (SecretBytes s = holder.consumeOneTimePreKey(opk.id(), peer.generatePublicKey().getEncoded())) {
                        check(s, expected, "X25519 one-time prekey " + opk.id());
                        out.println("X " + opk.id() + " " + sha256(s.copyBytes()));
                        out.flush();
                    }
                }
                PreKeyViews.View kem = PreKeyViews.kemPreKey(bundle);
                if (kem.oneTime()) {
                    SecretWithEncapsulation enc = new MLKEMGenerator(random).generateEncapsulated(
                            new MLKEMPublicKeyParameters(MLKEMParameters.ml_kem_1024, kem.publicKey()));
                    try (SecretBytes s = holder.decapsulate(kem.id(), enc.getEncapsulation())) {
                        check(s, enc.getSecret(), "KEM one-time prekey " + kem.id());
                        out.println("K " + kem.id() + " " + sha256(s.copyBytes()));
                        out.flush();
                    }
                }
            }
        } catch (CryptoException e) {
            out.println("E " + e.getMessage());
            out.flush();
            System.exit(3);
        }
    }

    private static void check(SecretBytes s, byte[] expected, String what) {
        byte[] got = s.copyBytes();
        if (!Arrays.equals(got, expected)) {
            System.out.println("E " + what + ": secret differs from the peer's");
            System.out.flush();
            System.exit(3);
        }
    }

    private static int verify(Path keyDir, Path idsFile, SecureRandom random, PrintStream out) throws Exception {
        byte[] peer = new X25519PrivateKeyParameters(random).generatePublicKey().getEncoded();
        int n = 0;
        try (DurableKeyHolder holder = DurableKeyHolder.open(vault(keyDir, random), false, random,
                Clock.systemUTC(), ONE_TIME_TARGET, ONE_TIME_KEM_TARGET)) {
            for (String line : Files.readAllLines(idsFile, StandardCharsets.US_ASCII)) {
                String[] f = line.split(" ", -1);
                int id = Integer.parseInt(f[1]);
                try {
                    if (f[0].equals("X")) {
                        holder.consumeOneTimePreKey(id, peer).close();
                    } else {
                        holder.decapsulate(id, new byte[1568]).close();
                    }
                    out.println("E " + line + " was usable again");
                    return 3;
                } catch (CryptoException e) {
                    if (e.reason() != CryptoException.Reason.PREKEY_ALREADY_USED) {
                        out.println("E " + line + ": " + e.reason());
                        return 3;
                    }
                }
                n++;
            }
            out.println("verified " + n + " " + sha256(holder.identity().encoded()));
        }
        return 0;
    }
}
