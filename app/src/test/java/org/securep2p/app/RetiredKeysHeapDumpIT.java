package org.securep2p.app;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.management.HotSpotDiagnosticMXBean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.store.SealedFormat;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.InitialMessage;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictReader;
import org.securep2p.ratchet.SessionRecord;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * After 100 messages between two conversations in this JVM (the app's whole commit path: ratchet, conversation
 * file, sealing), a heap dump holds none of the retired ratchet keys: root keys, chain keys and message keys
 * that no current state holds any more. Unreachable objects are dumped too (live=false), so a key that was
 * dropped without being wiped is found.
 *
 * <p>How it knows the keys without holding them: after every commit it copies the sealed conversation file
 * aside (ciphertext); only after the dump does it open those copies and derive the keys they held, and the
 * message key of each chain position (HMAC-SHA-512(CK, 0x01), PROTOCOL.md 10.2); and it repeats the handshake
 * from its seed to learn SK. The root key a receiver derives between the two halves of a DH step is the root
 * key the sender stored, so the sender's snapshots cover it. Controls: a marker this JVM holds, and the current
 * sending chain key of each side, must be found.
 */
class RetiredKeysHeapDumpIT {

    private static final int MESSAGES = 100;
    private static final int KEY = 32;
    private static final SecurityLevel LEVEL = SecurityLevel.ENHANCED;

    @TempDir
    Path temp;

    private final SecureRandom random = new SecureRandom();
    private final Clock clock = Clock.systemUTC();
    private int snapshots;

    @Test
    void aHeapDumpAfterOneHundredMessagesHoldsNoRetiredChainOrMessageKey() throws Exception {
        byte[] marker = new byte[KEY];
        random.nextBytes(marker);
        // The handshake is repeated from this seed after the dump, to learn SK without holding it before.
        long handshakeSeed = random.nextLong();
        Path dump = temp.resolve("app.hprof");
        Path aside = temp.resolve("snapshots");
        Files.createDirectories(aside);
        Fingerprint aliceFp;
        Fingerprint bobFp;
        byte[] aliceKey = new byte[KEY];
        byte[] bobKey = new byte[KEY];
        random.nextBytes(aliceKey);
        random.nextBytes(bobKey);
        try (SecretBytes ak = SecretBytes.copyOf(aliceKey); SecretBytes bk = SecretBytes.copyOf(bobKey);
                ConversationStore alice = new ConversationStore(temp.resolve("alice"), ak, random, clock);
                ConversationStore bob = new ConversationStore(temp.resolve("bob"), bk, random, clock)) {
            Conversation toBob;
            Conversation toAlice;
            try (Handshake h = new Handshake(handshakeSeed)) {
                aliceFp = h.a.identity().fingerprint();
                bobFp = h.b.identity().fingerprint();
                byte[] sid = new byte[ChatFrame.SESSION_ID_LENGTH];
                try (SessionRecord ia = SessionRecord.initiator(h.ra, random);
                        SessionRecord rr = SessionRecord.responder(h.rb, random)) {
                    toBob = alice.create(bobFp, "bob", sid, ia);
                    toAlice = bob.create(aliceFp, "alice", sid, rr);
                }
            }
            snapshot(aside, temp.resolve("alice"), bobFp, "alice");
            snapshot(aside, temp.resolve("bob"), aliceFp, "bob");
            byte[] held = null;
            for (int i = 0; i < MESSAGES; i++) {
                boolean fromAlice = (i / 3) % 2 == 0;
                Conversation sender = fromAlice ? toBob : toAlice;
                Conversation receiver = fromAlice ? toAlice : toBob;
                byte[] wire = sender.encryptText("message " + i).wire();
                snapshot(aside, temp.resolve(fromAlice ? "alice" : "bob"), fromAlice ? bobFp : aliceFp,
                        fromAlice ? "alice" : "bob");
                if (fromAlice && i % 6 == 0) {
                    held = wire; // delivered after the next one: a skipped key, then used
                    continue;
                }
                receiver.decrypt(wire);
                snapshot(aside, temp.resolve(fromAlice ? "bob" : "alice"), fromAlice ? aliceFp : bobFp,
                        fromAlice ? "bob" : "alice");
                if (held != null && fromAlice) {
                    receiver.decrypt(held);
                    held = null;
                    snapshot(aside, temp.resolve("bob"), aliceFp, "bob");
                }
            }
            // Both conversations are open, as in the running app: their current states are in the heap.
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(dump.toString(), false);
            assertThat(toBob.pending()).isNotEmpty();
        }
        try {
            // Only now: the keys every snapshot held, and which of them the last state of each side still holds.
            Map<String, byte[]> all = new LinkedHashMap<>();
            Map<String, byte[]> current = new LinkedHashMap<>();
            try (SecretBytes ak = SecretBytes.copyOf(aliceKey); SecretBytes bk = SecretBytes.copyOf(bobKey)) {
                for (int n = 0; n < snapshots; n++) {
                    Path f = aside.resolve(n + ".alice");
                    boolean isAlice = Files.exists(f);
                    Path file = isAlice ? f : aside.resolve(n + ".bob");
                    Map<String, byte[]> keys = keysOf(record(Files.readAllBytes(file), isAlice ? ak : bk,
                            isAlice ? bobFp : aliceFp), (isAlice ? "alice" : "bob") + " snapshot " + n);
                    all.putAll(keys);
                }
                current.putAll(keysOf(record(lastOf(aside, "alice"), ak, bobFp), "alice now"));
                current.putAll(keysOf(record(lastOf(aside, "bob"), bk, aliceFp), "bob now"));
            }
            try (Handshake h = new Handshake(handshakeSeed);
                    SecretBytes ak = SecretBytes.copyOf(aliceKey)) {
                // The same handshake again: the same transcript as the first record holds, so the same SK.
                StrictReader r = new StrictReader(record(Files.readAllBytes(aside.resolve("0.alice")), ak, bobFp),
                        "record");
                r.u8("version");
                r.u8("level");
                r.u8("role");
                assertThat(r.var16(32, 64, "TH")).as("repeated handshake").isEqualTo(h.ra.transcriptHash());
                all.put("SK (handshake secret)", h.ra.sessionSecret().copyBytes());
            }
            List<String> names = new ArrayList<>();
            List<byte[]> needles = new ArrayList<>();
            all.forEach((name, key) -> {
                if (current.values().stream().noneMatch(k -> Arrays.equals(k, key))
                        && needles.stream().noneMatch(k -> Arrays.equals(k, key))) {
                    names.add(name);
                    needles.add(key);
                }
            });
            byte[] aliceChain = current.get("alice now CKs");
            byte[] bobChain = current.get("bob now CKs");
            int retired = needles.size();
            needles.add(marker);
            needles.add(aliceChain);
            needles.add(bobChain);
            boolean[] found = search(dump, needles);
            assertThat(found[retired]).as("control: the marker this JVM holds is in the dump").isTrue();
            assertThat(found[retired + 1] && found[retired + 2]).as("control: both current sending chain keys").isTrue();
            List<String> leaked = new ArrayList<>();
            for (int i = 0; i < retired; i++) {
                if (found[i]) {
                    leaked.add(names.get(i));
                }
            }
            System.out.println("RetiredKeysHeapDumpIT: searched a " + Files.size(dump) / (1024 * 1024)
                    + " MiB heap dump for " + retired + " retired keys after " + MESSAGES + " messages: "
                    + leaked.size() + " found");
            assertThat(leaked).as("retired keys found in the heap dump").isEmpty();
        } finally {
            Files.deleteIfExists(dump);
        }
    }

    /**
     * Whether each 32-byte needle occurs anywhere in {@code file} (as KeyIsolationIT searches, with the needles
     * indexed by their first eight bytes since there are thousands of them).
     */
    static boolean[] search(Path file, List<byte[]> needles) throws java.io.IOException {
        Map<Long, List<Integer>> byPrefix = new java.util.HashMap<>();
        boolean[] firstTwo = new boolean[1 << 16];
        for (int i = 0; i < needles.size(); i++) {
            byte[] n = needles.get(i);
            byPrefix.computeIfAbsent(java.nio.ByteBuffer.wrap(n).getLong(), x -> new ArrayList<>()).add(i);
            firstTwo[((n[0] & 0xFF) << 8) | (n[1] & 0xFF)] = true;
        }
        boolean[] found = new boolean[needles.size()];
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.READ)) {
            long size = ch.size();
            long window = 256L * 1024 * 1024;
            for (long start = 0; start < size; start += window - (KEY - 1)) {
                long length = Math.min(window, size - start);
                java.nio.MappedByteBuffer buf = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, start, length);
                int last = (int) length - KEY;
                for (int p = 0; p <= last; p++) {
                    if (!firstTwo[((buf.get(p) & 0xFF) << 8) | (buf.get(p + 1) & 0xFF)]) {
                        continue;
                    }
                    List<Integer> candidates = byPrefix.get(buf.getLong(p));
                    if (candidates == null) {
                        continue;
                    }
                    for (int k : candidates) {
                        byte[] n = needles.get(k);
                        boolean match = true;
                        for (int i = 8; i < KEY && match; i++) {
                            match = buf.get(p + i) == n[i];
                        }
                        found[k] |= match;
                    }
                }
                if (start + length >= size) {
                    break;
                }
            }
        }
        return found;
    }

    /** Both parties' identities and one handshake at LEVEL, all from {@code seed} with a fixed clock. */
    private static final class Handshake implements AutoCloseable {
        final InMemoryPrivateKeys a;
        final InMemoryPrivateKeys b;
        final HandshakeResult ra;
        final HandshakeResult rb;

        Handshake(long seed) throws Exception {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed);
            Clock fixed = Clock.fixed(java.time.Instant.parse("2026-11-23T12:00:00Z"), java.time.ZoneOffset.UTC);
            a = InMemoryPrivateKeys.generate(r, fixed, 0, 0);
            b = InMemoryPrivateKeys.generate(r, fixed, 0, 0);
            HybridHandshake hs = new HybridHandshake(r, fixed);
            PreKeyBundle bundle = b.preKeyBundle();
            ra = hs.initiate(a, bundle, LEVEL, b.identity().fingerprint(), new byte[0]);
            rb = hs.respond(b, bundle, InitialMessage.decode(ra.initialMessage().orElseThrow().encode()), LEVEL);
        }

        @Override
        public void close() {
            ra.close();
            rb.close();
            a.close();
            b.close();
        }
    }

    private void snapshot(Path aside, Path dir, Fingerprint peer, String who) throws Exception {
        Files.copy(dir.resolve(HexFormat.of().formatHex(peer.toBytes()) + ".conv"),
                aside.resolve(snapshots++ + "." + who));
    }

    private byte[] lastOf(Path aside, String who) throws Exception {
        for (int n = snapshots - 1; n >= 0; n--) {
            Path f = aside.resolve(n + "." + who);
            if (Files.exists(f)) {
                return Files.readAllBytes(f);
            }
        }
        throw new AssertionError("no snapshot of " + who);
    }

    /** The ratchet record inside a sealed conversation file (PROTOCOL.md 20.6). */
    private byte[] record(byte[] sealed, SecretBytes key, Fingerprint peer) throws Exception {
        String context = HexFormat.of().formatHex(peer.toBytes());
        byte[] plain = SealedFormat.open("conversation", context, sealed, key, random, "snapshot");
        StrictReader r = new StrictReader(plain, "conversation");
        r.u8("version");
        r.fixed(32, "fingerprint");
        r.var16(0, 64, "name");
        r.fixed(ChatFrame.SESSION_ID_LENGTH, "sid");
        r.u8("level");
        r.u64("next");
        r.u64("received");
        return r.var32(1, 16 << 20, "record");
    }

    /** RK, CKs, CKr, the next message key of each chain, and the skipped message keys (PROTOCOL.md 10.7). */
    private static Map<String, byte[]> keysOf(byte[] record, String where) throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>();
        StrictReader r = new StrictReader(record, "record");
        r.u8("version");
        r.u8("level");
        r.u8("role");
        r.var16(32, 64, "TH");
        put(out, where + " RK", optional(r));
        optional(r); // DHs private key (not a chain key)
        optional(r); // DHr
        byte[] cks = optional(r);
        put(out, where + " CKs", cks);
        r.u32("Ns");
        byte[] ckr = optional(r);
        put(out, where + " CKr", ckr);
        r.u32("Nr");
        r.u32("PN");
        for (int i = 0; i < 4; i++) {
            optional(r); // header keys
        }
        int old = r.u16("old");
        for (int i = 0; i < old; i++) {
            r.fixed(KEY, "old header key");
        }
        int skipped = r.u32("skipped");
        for (int i = 0; i < skipped; i++) {
            r.fixed(KEY, "chain");
            int n = r.u32("n");
            put(out, where + " skipped MK " + n, r.fixed(KEY, "MK"));
        }
        if (cks != null) {
            put(out, where + " next sending MK", messageKey(cks));
        }
        if (ckr != null) {
            put(out, where + " next receiving MK", messageKey(ckr));
        }
        return out;
    }

    private static void put(Map<String, byte[]> out, String name, byte[] key) {
        if (key != null) {
            out.put(name, key);
        }
    }

    private static byte[] optional(StrictReader r) throws Exception {
        return r.u8("flag") == 1 ? r.fixed(KEY, "key") : null;
    }

    private static byte[] messageKey(byte[] chainKey) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA512");
        mac.init(new SecretKeySpec(chainKey, "HmacSHA512"));
        return Arrays.copyOf(mac.doFinal(new byte[] {1}), KEY);
    }
}
