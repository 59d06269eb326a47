package org.securep2p.app.history;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;

import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;

/**
 * The process {@link HistoryCrashTest} kills: appends messages to one conversation for ever and prints each id
 * on its own line once {@code append} has returned, i.e. once the store says it is committed.
 */
final class HistoryCrashChild {

    private HistoryCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        byte[] key = HexFormat.of().parseHex(args[1]);
        Fingerprint peer = Fingerprint.fromBytes(HexFormat.of().parseHex(args[2]));
        SecureRandom random = new SecureRandom();
        try (SecretBytes k = SecretBytes.copyOf(key);
                SqliteHistoryStore store = SqliteHistoryStore.open(file, k, Retention.forever(), random,
                        Clock.systemUTC())) {
            for (long i = 0; ; i++) {
                byte[] id = new byte[16];
                random.nextBytes(id);
                String hex = HexFormat.of().formatHex(id);
                store.append(peer, HistoryMessage.sent(hex, Instant.ofEpochMilli(1_700_000_000_000L + i), "m" + i));
                System.out.println(hex);
                System.out.flush();
            }
        }
    }
}
