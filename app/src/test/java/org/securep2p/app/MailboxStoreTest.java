package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.relay.Inbox;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.SendCapability;

/** The {@code .mailbox} file (PROTOCOL.md §22.5): round trip, restart, and a file that does not open. */
class MailboxStoreTest {

    private static final String FP = "0f".repeat(32);
    private final SecureRandom random = new SecureRandom();
    @TempDir
    Path dir;

    private Fingerprint fingerprint(int seed) throws Exception {
        byte[] b = new byte[Fingerprint.LENGTH];
        TestSessions.seeded(seed).nextBytes(b);
        return Fingerprint.fromBytes(b);
    }

    private static MailboxStore.Mailboxes sample(SecureRandom r, long posted) throws Exception {
        Inbox own = Inbox.generate(RelayAddress.parse("wss://127.0.0.1:4443/#" + FP), r);
        Inbox theirs = Inbox.generate(RelayAddress.parse("wss://[::1]:443/#" + FP), r);
        return new MailboxStore.Mailboxes(Optional.of(own), Optional.of(theirs.capability()), posted);
    }

    private static void assertSame(MailboxStore.Mailboxes got, MailboxStore.Mailboxes want) {
        assertThat(got.postedUpTo()).isEqualTo(want.postedUpTo());
        assertThat(got.own().isPresent()).isEqualTo(want.own().isPresent());
        assertThat(got.peer().isPresent()).isEqualTo(want.peer().isPresent());
        want.own().ifPresent(o -> {
            Inbox g = got.own().orElseThrow();
            assertThat(g.relay()).isEqualTo(o.relay());
            assertThat(g.id()).isEqualTo(o.id());
            assertThat(g.receiveKey().seed()).isEqualTo(o.receiveKey().seed());
            assertThat(g.sendKey().seed()).isEqualTo(o.sendKey().seed());
        });
        want.peer().ifPresent(p -> {
            SendCapability g = got.peer().orElseThrow();
            assertThat(g.relay()).isEqualTo(p.relay());
            assertThat(g.id()).isEqualTo(p.id());
            assertThat(g.sendKey().seed()).isEqualTo(p.sendKey().seed());
        });
    }

    @Property(tries = 200)
    void everyCombinationRoundTripsAndEveryTruncationIsRefused(@ForAll @IntRange(min = 0, max = 3) int which,
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long posted, @ForAll long seed) throws Exception {
        MailboxStore.Mailboxes full = sample(TestSessions.seeded(seed), posted);
        MailboxStore.Mailboxes m = new MailboxStore.Mailboxes((which & 1) == 0 ? Optional.empty() : full.own(),
                (which & 2) == 0 ? Optional.empty() : full.peer(), posted);
        byte[] encoded = MailboxStore.encode(m);
        assertSame(MailboxStore.decode(encoded), m);
        for (int cut = 0; cut < encoded.length; cut++) {
            byte[] shorter = Arrays.copyOf(encoded, cut);
            assertThatThrownBy(() -> MailboxStore.decode(shorter)).isInstanceOf(CryptoException.class);
        }
        byte[] longer = Arrays.copyOf(encoded, encoded.length + 1);
        assertThatThrownBy(() -> MailboxStore.decode(longer)).isInstanceOf(CryptoException.class);
    }

    @Test
    void survivesARestartAndIsSealedToItsContact() throws Exception {
        Fingerprint bob = fingerprint(1);
        Fingerprint carol = fingerprint(2);
        MailboxStore.Mailboxes m = sample(random, 7);
        try (SecretBytes key = TestSessions.key(3); ConversationStore s = new ConversationStore(dir, key, random,
                TestSessions.CLOCK)) {
            assertThat(s.mailboxes().load(bob)).isEqualTo(MailboxStore.Mailboxes.NONE);
            s.mailboxes().save(bob, m);
        }
        Path file = dir.resolve(java.util.HexFormat.of().formatHex(bob.toBytes()) + ".mailbox");
        assertThat(Files.readAllBytes(file)).startsWith('S', 'P', 'A', 'S');
        try (SecretBytes key = TestSessions.key(3); ConversationStore s = new ConversationStore(dir, key, random,
                TestSessions.CLOCK)) {
            assertSame(s.mailboxes().load(bob), m);
            // The conversation list is not confused by the file beside it.
            assertThat(s.stored()).isEmpty();
            // Copied to another contact's name, it does not open.
            Files.copy(file, dir.resolve(java.util.HexFormat.of().formatHex(carol.toBytes()) + ".mailbox"));
            assertThatThrownBy(() -> s.mailboxes().load(carol)).isInstanceOf(AppException.class)
                    .hasMessageContaining("left untouched");
        }
    }

    @Test
    void anUnreadableFileIsAnErrorAndIsLeftAsItWas() throws Exception {
        Fingerprint bob = fingerprint(1);
        try (SecretBytes key = TestSessions.key(3); ConversationStore s = new ConversationStore(dir, key, random,
                TestSessions.CLOCK)) {
            s.mailboxes().save(bob, sample(random, 1));
        }
        Path file = dir.resolve(java.util.HexFormat.of().formatHex(bob.toBytes()) + ".mailbox");
        byte[] before = Files.readAllBytes(file);
        // Another key: the file fails authentication; it is reported, never treated as "no mailboxes".
        try (SecretBytes key = TestSessions.key(4); ConversationStore s = new ConversationStore(dir, key, random,
                TestSessions.CLOCK)) {
            assertThatThrownBy(() -> s.mailboxes().load(bob)).isInstanceOf(AppException.class);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @Test
    void neverPrintsASeed() throws Exception {
        MailboxStore.Mailboxes m = sample(random, 1);
        String hex = java.util.HexFormat.of().formatHex(m.own().orElseThrow().receiveKey().seed());
        assertThat(m.toString()).doesNotContain(hex);
        m.destroy();
        assertThat(m.own().orElseThrow().receiveKey().seed()).containsOnly(0);
    }
}
