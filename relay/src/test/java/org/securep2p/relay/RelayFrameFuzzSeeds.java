package org.securep2p.relay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.securep2p.crypto.testing.SeededRandom;

/**
 * Writes {@link RelayFrameFuzz}'s seed corpus: one valid frame of every type and items of the two smallest
 * buckets, from a fixed seed so that a rerun writes the same files. Run from the module folder:
 * {@code java -cp target/test-classes:target/classes:../core-crypto/target/classes:../core-crypto/target/test-classes:BCPROV_JAR
 * org.securep2p.relay.RelayFrameFuzzSeeds}.
 */
final class RelayFrameFuzzSeeds {

    static final Path DIR = Path.of("src/test/resources/org/securep2p/relay/RelayFrameFuzzInputs");

    private RelayFrameFuzzSeeds() {
    }

    /** Valid frames by seed file name. */
    static Map<String, byte[]> frames() {
        SeededRandom random = new SeededRandom("relay frame fuzz seeds");
        byte[] nonce = new byte[RelayFrame.NONCE_LENGTH];
        random.nextBytes(nonce);
        MailboxId box = MailboxId.random(random);
        SigningKey receive = SigningKey.generate(random);
        SigningKey send = SigningKey.generate(random);
        byte[] item = new MailboxItem(MailboxItem.Kind.RATCHET, new byte[] {1, 2, 3}).encode();
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("seed-challenge", new RelayFrame.Challenge(nonce, RelayFrame.MAX_BLOB, 21 * 86_400).encode());
        m.put("seed-ok", new RelayFrame.Ok(3, 42).encode());
        m.put("seed-error", new RelayFrame.Error(4, RelayException.Reason.QUOTA_EXCEEDED,
                "The mailbox is full.").encode());
        m.put("seed-error-busy", new RelayFrame.Error(0, RelayException.Reason.BUSY, "The relay is busy.").encode());
        m.put("seed-deliver", new RelayFrame.Deliver(2, box, 7, 1_765_000_000_000L, item).encode());
        m.put("seed-create", RelayFrame.Create.sign(1, box, receive, send.publicKey(), new byte[0], nonce).encode());
        m.put("seed-create-password", RelayFrame.Create.sign(1, box, receive, send.publicKey(),
                "owners only".getBytes(java.nio.charset.StandardCharsets.UTF_8), nonce).encode());
        m.put("seed-post", RelayFrame.Post.sign(5, box, 86_400, item, send, nonce).encode());
        m.put("seed-subscribe", RelayFrame.Subscribe.sign(6, box, 0, receive, nonce).encode());
        m.put("seed-delete", RelayFrame.Delete.sign(7, box, 7, receive, nonce).encode());
        m.put("seed-ping", new RelayFrame.Ping(8).encode());
        byte[] fingerprint = new byte[RelayFrame.FINGERPRINT_LENGTH];
        random.nextBytes(fingerprint);
        byte[] certificate = new byte[400];
        random.nextBytes(certificate);
        byte[] bundle = new byte[300];
        random.nextBytes(bundle);
        byte[] payload = new byte[60];
        random.nextBytes(payload);
        m.put("seed-publish", new RelayFrame.Publish(9, bundle).encode());
        m.put("seed-unpublish", new RelayFrame.Unpublish(10).encode());
        m.put("seed-members", new RelayFrame.Members(11).encode());
        m.put("seed-lookup", new RelayFrame.Lookup(12, fingerprint).encode());
        m.put("seed-request", new RelayFrame.Request(13, fingerprint, payload).encode());
        m.put("seed-member-list", new RelayFrame.MemberList(11, java.util.List.of(
                new MemberDirectory.Listing("Control-Alpha", fingerprint, true),
                new MemberDirectory.Listing("Control-Bravo", nonce, false))).encode());
        m.put("seed-member-list-empty", new RelayFrame.MemberList(11, java.util.List.of()).encode());
        m.put("seed-entry", new RelayFrame.Entry(12, certificate, bundle, 1_765_000_000_000L).encode());
        m.put("seed-incoming", new RelayFrame.Incoming(certificate, payload).encode());
        return m;
    }

    /** Valid items by seed file name. */
    static Map<String, byte[]> items() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        byte[] small = new byte[100];
        Arrays.fill(small, (byte) 0x5a);
        m.put("seed-item-1k", new MailboxItem(MailboxItem.Kind.RATCHET, small).encode());
        m.put("seed-item-4k", new MailboxItem(MailboxItem.Kind.RATCHET, new byte[2000]).encode());
        return m;
    }

    public static void main(String[] args) throws IOException {
        write(DIR.resolve("frameDecodesToItsOwnBytesOrIsRefused"), frames());
        write(DIR.resolve("itemDecodesToItsOwnBytesOrIsRefused"), items());
    }

    private static void write(Path dir, Map<String, byte[]> seeds) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
    }
}
