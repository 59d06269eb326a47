package org.securep2p.app;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Locale;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.InitialMessage;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.SafetyNumber;
import org.securep2p.crypto.SecurityLevel;

/**
 * The program's entry point. Until the chat exists (the app issue), it creates an identity in memory, shows
 * its fingerprint, and proves the hybrid handshake against a second local identity at the chosen level,
 * through the real wire encodings.
 *
 * <p>Not its job yet: keeping the identity. Keys are held by the key-manager process once it exists; until
 * then nothing is written to disk, so no private key is ever stored unprotected.
 */
public final class Main {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        SecurityLevel level = SecurityLevel.DEFAULT;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-h":
                case "--help":
                    out.print(usage());
                    return OK;
                case "--level":
                    if (i + 1 >= args.length) {
                        err.print("securep2p: --level needs a value\n" + usage());
                        return USAGE;
                    }
                    try {
                        level = SecurityLevel.valueOf(args[++i].toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        err.print("securep2p: unknown level '" + args[i] + "'\n" + usage());
                        return USAGE;
                    }
                    break;
                default:
                    err.print("securep2p: unknown option '" + args[i] + "'\n" + usage());
                    return USAGE;
            }
        }
        try {
            selfTest(level, new SecureRandom(), Clock.systemUTC(), out);
            return OK;
        } catch (CryptoException e) {
            err.println("securep2p: self-test failed: " + e.getMessage());
            return FAILED;
        }
    }

    static void selfTest(SecurityLevel level, SecureRandom random, Clock clock, PrintStream out)
            throws CryptoException {
        out.println("securep2p: identity and handshake self-test (the chat arrives with the app issue)");
        try (InMemoryPrivateKeys me = InMemoryPrivateKeys.generate(random, clock, 1, 1);
                InMemoryPrivateKeys peer = InMemoryPrivateKeys.generate(random, clock, 1, 1)) {
            out.println();
            out.println("Your identity fingerprint (held in memory only: persistent keys come with the key manager)");
            out.println("  " + me.identity().fingerprint().displayString());
            out.println();
            HybridHandshake handshake = new HybridHandshake(random, clock);
            long start = System.nanoTime();
            PreKeyBundle offered = peer.preKeyBundle();
            byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
            try (HandshakeResult initiator = handshake.initiate(me, PreKeyBundle.decode(offered.encode()), level,
                    peer.identity().fingerprint(), hello);
                    HandshakeResult responder = handshake.respond(peer, offered,
                            InitialMessage.decode(initiator.initialMessage().orElseThrow().encode()), level)) {
                double millis = (System.nanoTime() - start) / 1e6;
                if (!initiator.sessionSecret().equalsConstantTime(responder.sessionSecret())) {
                    throw new CryptoException(CryptoException.Reason.DECRYPT_FAILED, "the two sides disagree");
                }
                out.printf(Locale.ROOT, "Handshake at %s with a second local identity: OK (%.1f ms, both sides,"
                        + " first run in this JVM)%n", level, millis);
                out.println("  suite: " + level.algorithmSuite());
                out.println();
                out.println("Safety number you would compare with that peer:");
                SafetyNumber number = SafetyNumber.of(me.identity().fingerprint(), peer.identity().fingerprint());
                out.println("  " + number.displayString().replace("\n", "\n  "));
            }
        }
    }

    static String usage() {
        return "usage: securep2p [--level STANDARD|ENHANCED|QUANTUM_RESISTANT]\n"
                + "  Creates an identity in memory, prints its fingerprint and runs a handshake self-test.\n";
    }
}
