package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.Await;
import org.securep2p.ratchet.SessionRecord;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;

/**
 * Issue 6: "Never a secret, a message text or a key in any log line." Two {@link ChatSession}s talk at every
 * level over in-memory channels with every logger at TRACE, through the paths that log most (set-up, messages,
 * acknowledgements, resumption, a refused HELLO, replayed and altered frames); then no captured line — message or
 * throwable — may contain a plaintext, the storage keys, any session record, or any private key, as hex (either
 * case) or Base64.
 */
class LogHygieneTest {

    private final SecureRandom random = new SecureRandom();
    private final Clock clock = Clock.systemUTC();
    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
    private final Map<Logger, Level> oldLevels = new java.util.HashMap<>();
    private final List<String> plaintexts = new CopyOnWriteArrayList<>();
    /** Secret byte strings: storage keys, private keys, session records as they were. */
    private final Set<byte[]> secrets = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final List<ChatSession> opened = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    final class Side implements ChatSession.Conversations {
        final InMemoryPrivateKeys keys;
        final ConversationStore store;
        final List<ChatEvent> events = new CopyOnWriteArrayList<>();

        Side(String name) throws Exception {
            keys = InMemoryPrivateKeys.generate(random, clock, 4, 4);
            toClose.add(keys);
            privateKeys(keys).forEach(secrets::add);
            byte[] k = new byte[32];
            random.nextBytes(k);
            secrets.add(k.clone());
            store = new ConversationStore(dir.resolve(name), SecretBytes.copyOf(k), random, clock);
            toClose.add(store);
        }

        @Override
        public Optional<Conversation> find(Fingerprint peer) throws AppException {
            return store.load(peer);
        }

        @Override
        public Conversation create(Fingerprint peer, String name, byte[] sessionId, SessionRecord record)
                throws AppException {
            secrets.add(record.encode());
            return store.create(peer, name, sessionId, record);
        }

        ChatSession session(ChatChannel ch, boolean dialer, SecurityLevel floor, String user) {
            ChatSession s = new ChatSession(ch, dialer, dialer, floor, user, keys, this,
                    (peer, name, address, code, certified) -> code ? ChatEvent.TrustMode.CODE_VERIFIED
                            : ChatEvent.TrustMode.TRUST_ON_FIRST_USE,
                    events::add, random, clock, System.nanoTime());
            opened.add(s);
            return s;
        }

        List<String> received() {
            List<String> out = new ArrayList<>();
            for (ChatEvent e : events) {
                if (e instanceof ChatEvent.MessageReceived m) {
                    out.add(m.text());
                }
            }
            return out;
        }
    }

    @BeforeEach
    void capture() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        captured.setContext(ctx);
        captured.start();
        for (String name : List.of(org.slf4j.Logger.ROOT_LOGGER_NAME, "securep2p.security", "org.securep2p")) {
            Logger l = ctx.getLogger(name);
            oldLevels.put(l, l.getLevel());
            l.setLevel(Level.TRACE);
        }
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(captured);
        // Also directly, in case the security logger is ever made non-additive.
        ctx.getLogger("securep2p.security").addAppender(captured);
    }

    @AfterEach
    void release() throws Exception {
        opened.forEach(ChatSession::close);
        Thread.sleep(100); // a closing session's last log lines still reach the appender; nothing signals the last
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(captured);
        ctx.getLogger("securep2p.security").detachAppender(captured);
        oldLevels.forEach(Logger::setLevel);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private String say(String label) {
        String t = "hygiene-" + label + "-" + HexFormat.of().formatHex(bytes(6));
        plaintexts.add(t);
        return t;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private ChatSession[] connect(Side a, Side b, SecurityLevel level, MemoryChannels ch) throws Exception {
        ChatSession sa = a.session(ch.a, true, level, "alice");
        ChatSession sb = b.session(ch.b, false, level, "bob");
        CompletableFuture<ChatEvent.Connected> fb = CompletableFuture.supplyAsync(() -> {
            try {
                return sb.establish();
            } catch (AppException e) {
                throw new RuntimeException(e);
            }
        });
        sa.establish();
        fb.get(30, TimeUnit.SECONDS);
        return new ChatSession[] {sa, sb};
    }

    /**
     * Issue 14 §2.5: the shipped logback.xml, with a peer string that reached a message unescaped (the backstop
     * behind PeerText.forLog): each event stays one line in security.log and securep2p.log, with no bidi
     * control or separator in it.
     */
    @Test
    void thePeersStringCannotSplitOrReorderALineOfTheShippedLogs() throws Exception {
        LoggerContext ctx = new LoggerContext();
        ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        ctx.putProperty("securep2p.logs", dir.resolve("logs").toString());
        ch.qos.logback.classic.joran.JoranConfigurator config = new ch.qos.logback.classic.joran.JoranConfigurator();
        config.setContext(ctx);
        config.doConfigure(LogHygieneTest.class.getResource("/logback.xml"));
        String forged = "bob\n2026-12-06T04:00:00,000 INFO  new peer 0000 trusted\r\u2028\u2029\u202Eevil\u2066\u0085";
        ctx.getLogger("securep2p.security").warn("new peer ('{}')", forged);
        ctx.getLogger("securep2p.security").info("next line");
        ctx.stop();
        for (String file : List.of("security.log", "securep2p.log")) {
            List<String> lines = java.nio.file.Files.readAllLines(dir.resolve("logs").resolve(file),
                    java.nio.charset.StandardCharsets.UTF_8);
            assertThat(lines).as(file).hasSize(2);
            assertThat(lines.get(0)).as(file).contains("new peer ('bob?2026-12-06T04:00:00,000 INFO  new peer 0000")
                    .doesNotContain("\u2028", "\u2029", "\u202E", "\u2066", "\u0085", "\r");
            assertThat(lines.get(1)).as(file).endsWith("next line");
        }
    }

    @Test
    void noSecretKeyOrMessageTextInAnyLogLineAtAnyLevel() throws Exception {
        for (SecurityLevel level : SecurityLevel.values()) {
            Side a = new Side("a-" + level);
            Side b = new Side("b-" + level);
            byte[] binding = bytes(32);
            MemoryChannels ch = new MemoryChannels(a.keys.identity(), b.keys.identity(), level, binding);
            List<byte[]> wire = new CopyOnWriteArrayList<>();
            ch.a.tamperOutgoing = m -> {
                wire.add(m.clone());
                return m;
            };
            ChatSession[] s = connect(a, b, level, ch);
            for (int i = 0; i < 3; i++) {
                String ab = say(level + "-a2b-" + i);
                String ba = say(level + "-b2a-" + i);
                s[0].send(ab);
                s[1].send(ba);
                int n = i + 1;
                await(() -> b.received().size() == n && a.received().size() == n);
                recordState(s);
            }
            // Replayed, truncated and altered frames: each is refused with a log line.
            byte[] last = wire.get(wire.size() - 1);
            ch.a.inject(last);
            ch.a.inject(Arrays.copyOf(last, last.length - 7));
            byte[] flipped = last.clone();
            flipped[flipped.length - 1] ^= 1;
            ch.a.inject(flipped);
            String after = say(level + "-after-replay");
            s[0].send(after);
            await(() -> b.received().contains(after));
            await(() -> s[0].conversation().pending().isEmpty());
            recordState(s);
            s[0].disconnect();
            s[1].close();

            // Resumption of the stored session, with a message queued while offline.
            Conversation offline = a.store.load(b.keys.identity().fingerprint()).orElseThrow();
            String queued = say(level + "-queued");
            offline.encryptText(queued);
            MemoryChannels again = new MemoryChannels(a.keys.identity(), b.keys.identity(), level, bytes(32));
            ChatSession[] r = connect(a, b, level, again);
            await(() -> b.received().contains(queued));
            String resumed = say(level + "-resumed");
            r[1].send(resumed);
            await(() -> a.received().contains(resumed));
            recordState(r);
            r[0].close();
            r[1].close();
        }
        // A refused set-up (a HELLO rewritten on the way) logs too.
        Side a = new Side("a-refused");
        Side b = new Side("b-refused");
        MemoryChannels ch = new MemoryChannels(a.keys.identity(), b.keys.identity(), SecurityLevel.ENHANCED,
                bytes(32));
        ch.a.tamperOutgoing = m -> {
            if (m.length > 2 && m[1] == 1) {
                m[2] = (byte) SecurityLevel.STANDARD.code();
            }
            return m;
        };
        ChatSession sa = a.session(ch.a, true, SecurityLevel.ENHANCED, "alice");
        ChatSession sb = b.session(ch.b, false, SecurityLevel.STANDARD, "bob");
        CompletableFuture<Void> fb = CompletableFuture.runAsync(() -> {
            try {
                sb.establish();
            } catch (AppException e) {
                throw new RuntimeException(e);
            }
        });
        assertThatThrownBy(sa::establish).isInstanceOf(AppException.class);
        assertThatThrownBy(() -> fb.get(10, TimeUnit.SECONDS)).isNotNull();

        List<String> lines = lines();
        assertThat(lines).as("the paths above log something (security events at least)").isNotEmpty();
        assertThat(String.join("\n", lines)).contains("rejected");
        List<String> needles = needles();
        assertThat(needles).hasSizeGreaterThan(50);
        // The search is not vacuous: a record logged whole, inside other text, in any of the encodings, is found.
        byte[] biggest = secrets.stream().max(java.util.Comparator.comparingInt(x -> x.length)).orElseThrow();
        for (String planted : List.of(HexFormat.of().formatHex(biggest), Base64.getEncoder().encodeToString(biggest),
                Base64.getUrlEncoder().encodeToString(Arrays.copyOfRange(biggest, 5, biggest.length)))) {
            assertThat(needles.stream().anyMatch(("state=" + planted + " end")::contains)).isTrue();
        }
        for (String line : lines) {
            for (String n : needles) {
                if (line.contains(n)) {
                    throw new AssertionError("a log line contains a secret or a message text (" + n + "):\n" + line);
                }
            }
        }
    }

    /** The ratchet state each side holds now (its last committed session record). */
    private void recordState(ChatSession[] s) throws Exception {
        Field f = Conversation.class.getDeclaredField("record");
        f.setAccessible(true);
        for (ChatSession x : s) {
            Conversation c = x.conversation();
            synchronized (c) {
                secrets.add(((byte[]) f.get(c)).clone());
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<byte[]> privateKeys(InMemoryPrivateKeys keys) throws Exception {
        List<byte[]> out = new ArrayList<>();
        for (String name : List.of("identityX25519", "identityEd25519", "identityFalcon")) {
            Field f = InMemoryPrivateKeys.class.getDeclaredField(name);
            f.setAccessible(true);
            out.add(((byte[]) f.get(keys)).clone());
        }
        Method m = InMemoryPrivateKeys.class.getDeclaredMethod("privateArrays");
        m.setAccessible(true);
        for (byte[] k : (Set<byte[]>) m.invoke(keys)) {
            out.add(k.clone());
        }
        return out;
    }

    private List<String> lines() {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : captured.list) {
            StringBuilder b = new StringBuilder(e.getLoggerName()).append(": ").append(e.getFormattedMessage());
            if (e.getThrowableProxy() != null) {
                b.append('\n').append(ThrowableProxyUtil.asString(e.getThrowableProxy()));
            }
            e.getMDCPropertyMap().forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
            out.add(b.toString());
        }
        return out;
    }

    /**
     * The plaintexts, and for each secret its hex (both cases) and Base64 (standard and URL-safe, at each of the
     * three alignments) — whole, and in 24-byte pieces at offsets that are multiples of 24, so that a secret
     * inside a larger logged blob, or a logged part of a long record, is found too. Low-entropy pieces (padding,
     * zero runs) are skipped.
     */
    private List<String> needles() {
        Set<String> out = new LinkedHashSet<>(plaintexts);
        for (byte[] s : secrets) {
            List<byte[]> pieces = new ArrayList<>();
            if (s.length <= 48) {
                pieces.add(s);
            }
            for (int off = 0; off + 24 <= s.length; off += 24) {
                pieces.add(Arrays.copyOfRange(s, off, off + 24));
            }
            for (byte[] p : pieces) {
                if (distinct(p) < 12) {
                    continue;
                }
                String hex = HexFormat.of().formatHex(p);
                out.add(hex);
                out.add(hex.toUpperCase(Locale.ROOT));
                // Base64 of a piece depends on its alignment in the logged blob: all three, each without the
                // characters that also encode its neighbours.
                for (int shift = 0; shift < 3 && p.length - shift >= 18; shift++) {
                    byte[] q = Arrays.copyOfRange(p, shift, p.length - (p.length - shift) % 3);
                    out.add(Base64.getEncoder().encodeToString(q));
                    out.add(Base64.getUrlEncoder().encodeToString(q));
                }
            }
        }
        return new ArrayList<>(out);
    }

    private static int distinct(byte[] p) {
        Set<Byte> d = new java.util.HashSet<>();
        for (byte x : p) {
            d.add(x);
        }
        return d.size();
    }

    private static void await(BooleanSupplier condition) {
        Await.until("the condition", Duration.ofSeconds(30), condition);
    }
}
