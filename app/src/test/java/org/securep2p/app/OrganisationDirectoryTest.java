package org.securep2p.app;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.app.org.BlockList;
import org.securep2p.app.org.ChatRequestPayload;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.testing.MutableClock;
import org.securep2p.relay.MemberDirectory;
import org.securep2p.relay.RelayException;
import org.securep2p.transport.Candidate;
import org.securep2p.transport.ConnectionCode;
import org.securep2p.transport.IceCredentials;
import org.securep2p.transport.cert.OrganisationAuthority;
import org.securep2p.transport.cert.OrganisationTrust;
import org.securep2p.transport.cert.TransportCertificate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * PROTOCOL.md §23.3-23.4 on the messenger's side, against a directory double that records what goes to the relay
 * and a host that records waits and connects: opening by name, NOT_ONLINE, a substituted bundle, DECLINE and ACCEPT,
 * and each check on an incoming request.
 */
class OrganisationDirectoryTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(NOW);
    private OrganisationAuthority ca;
    private OrganisationTrust trust;
    private Member alpha;
    private Member bravo;
    private Member charlie;
    private final FakeDirectory relay = new FakeDirectory();
    private final FakeHost host = new FakeHost();
    private BlockList blocked;
    private OrganisationDirectory directory;

    @SuppressWarnings("ArrayRecordComponent") // a test's member; never compared
    private record Member(String name, InMemoryPrivateKeys keys, byte[] certificate) {
        Fingerprint fingerprint() {
            return keys.identity().fingerprint();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        ca = OrganisationAuthority.create("Control", RANDOM, NOW);
        Path org = Files.createDirectories(dir.resolve("ca"));
        Files.write(org.resolve("ca.crt"), ca.certificatePem());
        Files.write(org.resolve("ca.crl"), ca.revocationListPem(List.of(), 1, NOW));
        trust = OrganisationTrust.load(org.resolve("ca.crt"), clock);
        alpha = member("Control-Alpha");
        bravo = member("Control-Bravo");
        charlie = member("Control-Charlie");
        relay.publish(bravo, true);
        relay.publish(charlie, false);
        blocked = BlockList.open(dir.resolve("home").resolve("org"));
        directory = new OrganisationDirectory(host, trust, blocked, SecurityLevel.ENHANCED, true, RANDOM, clock);
    }

    @AfterEach
    void tearDown() {
        directory.close();
        ca.close();
    }

    private Member member(String name) throws Exception {
        InMemoryPrivateKeys keys = InMemoryPrivateKeys.generate(RANDOM, clock, 0, 0);
        Path certDir = dir.resolve(name);
        TransportCertificate.loadOrCreate(certDir, keys, clock);
        Path file = certDir.resolve(TransportCertificate.MEMBER_FILE_NAME);
        Files.write(file, ca.issue(name, Files.readAllBytes(certDir.resolve(TransportCertificate.FILE_NAME)), NOW,
                OrganisationAuthority.MEMBER_VALIDITY, RANDOM).pem());
        return new Member(name, keys, TransportCertificate.loadMember(file, keys, trust).der());
    }

    private static String offerOf(Member m, boolean answerNeeded) {
        return ConnectionCode.offer(m.fingerprint(), SecurityLevel.ENHANCED, IceCredentials.generate(RANDOM),
                List.of(Candidate.of(Candidate.Type.HOST, new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 40000))), answerNeeded)
                .text();
    }

    private static byte[] id(int b) {
        byte[] id = new byte[ChatRequestPayload.REQUEST_ID_LENGTH];
        id[0] = (byte) b;
        return id;
    }

    private MemberDirectory.IncomingRequest from(Member m, ChatRequestPayload.Kind kind, byte[] id, Instant time,
            String code) {
        return new MemberDirectory.IncomingRequest(m.certificate(),
                new ChatRequestPayload(kind, id, time, code).encode());
    }

    private List<ChatEvent.ChatRequest> shown() {
        return host.events.stream().filter(e -> e instanceof ChatEvent.ChatRequest)
                .map(e -> (ChatEvent.ChatRequest) e).toList();
    }

    @Test
    void opensAnOnlineMemberByNameWithARequestCarryingTheWaitsCode() throws Exception {
        Messenger.Opened o = directory.open("Control-Bravo");
        assertThat(o.attempt()).isEqualTo("w1");
        assertThat(relay.sent).hasSize(1);
        FakeDirectory.Sent s = relay.sent.get(0);
        assertThat(s.to()).isEqualTo(bravo.fingerprint());
        assertThat(s.payload().kind()).isEqualTo(ChatRequestPayload.Kind.REQUEST);
        assertThat(s.payload().code()).isEqualTo(host.waitCode);
        assertThat(directory.openRequests()).containsExactly("w1");
        assertThat(host.waitsFor).containsExactly(bravo.fingerprint());
    }

    @Test
    void anOfflineMemberIsNotOnlineAndNoWaitStaysOpen() {
        assertThatThrownBy(() -> directory.open("Control-Charlie")).isInstanceOfSatisfying(AppException.class, e -> {
            assertThat(e.reason()).isEqualTo(AppException.Reason.NOT_ONLINE);
            assertThat(e.getMessage()).contains("Control-Charlie is not online");
        });
        assertThat(relay.sent).isEmpty();
        assertThat(host.waits).isEmpty();
    }

    @Test
    void aMemberThatWentOfflineMeanwhileEndsTheWait() throws Exception {
        relay.notOnline = true;
        assertThatThrownBy(() -> directory.open("Control-Bravo")).isInstanceOfSatisfying(AppException.class,
                e -> assertThat(e.reason()).isEqualTo(AppException.Reason.NOT_ONLINE));
        assertThat(host.cancelled).containsExactly("w1");
        assertThat(directory.openRequests()).isEmpty();
    }

    @Test
    void aSubstitutedBundleIsRefusedNamingTheReasonAndNothingIsSent() throws Exception {
        // The malicious relay: Bravo's certificate with a bundle of a key it holds.
        relay.entries.put(HexFormat.of().formatHex(bravo.fingerprint().toBytes()),
                new MemberDirectory.Entry(bravo.certificate(), charlie.keys().preKeyBundle().encode(), NOW));
        ch.qos.logback.classic.Logger security = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger("securep2p.security");
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        security.addAppender(logged);
        try {
            assertThatThrownBy(() -> directory.open("Control-Bravo")).isInstanceOfSatisfying(AppException.class,
                    e -> {
                        assertThat(e.reason()).isEqualTo(AppException.Reason.DIRECTORY_REFUSED);
                        assertThat(e.getMessage()).contains("not signed by Control-Bravo's certified identity");
                    });
        } finally {
            security.detachAppender(logged);
        }
        // The security log keeps the refusal: the relay lied about a member.
        assertThat(logged.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .anyMatch(l -> l.startsWith("directory entry for Control-Bravo refused: ")
                        && l.contains("not signed by Control-Bravo's certified identity"));
        assertThat(relay.sent).isEmpty();
        assertThat(host.waits).isEmpty();
    }

    @Test
    void aDeclineEndsTheWaitWithAFailureNamingTheMember() throws Exception {
        directory.open("Control-Bravo");
        byte[] sentId = relay.sent.get(0).payload().requestId();
        directory.handle(from(bravo, ChatRequestPayload.Kind.DECLINE, sentId, NOW, ""));
        assertThat(host.cancelled).containsExactly("w1");
        assertThat(host.events).contains(new ChatEvent.Failure("w1", "Control-Bravo declined"));
        assertThat(directory.openRequests()).isEmpty();
    }

    @Test
    void anAcceptWithAnAnswerCodeGoesToTheWait() throws Exception {
        directory.open("Control-Bravo");
        byte[] sentId = relay.sent.get(0).payload().requestId();
        directory.handle(from(bravo, ChatRequestPayload.Kind.ACCEPT, sentId, NOW, "sp2p1a-ANSWER"));
        assertThat(host.answers).containsExactly("w1 sp2p1a-ANSWER");
    }

    @Test
    void anAnswerFromAnotherMemberOrForAnotherIdIsIgnored() throws Exception {
        directory.open("Control-Bravo");
        byte[] sentId = relay.sent.get(0).payload().requestId();
        directory.handle(from(charlie, ChatRequestPayload.Kind.DECLINE, sentId, NOW, ""));
        directory.handle(from(bravo, ChatRequestPayload.Kind.DECLINE, id(9), NOW, ""));
        assertThat(host.cancelled).isEmpty();
        assertThat(directory.openRequests()).containsExactly("w1");
    }

    @Test
    void anUnansweredRequestIsTerminatedAndItsWaitEnded() throws Exception {
        try (OrganisationDirectory quick = new OrganisationDirectory(host, trust, blocked, SecurityLevel.ENHANCED,
                true, RANDOM, clock, Duration.ofMillis(200))) {
            quick.open("Control-Bravo");
            org.securep2p.crypto.testing.Await.until("the TERMINATE", Duration.ofSeconds(10),
                    () -> relay.sent.size() == 2);
            assertThat(host.cancelled).containsExactly("w1");
            assertThat(relay.sent.get(1).payload().kind()).isEqualTo(ChatRequestPayload.Kind.TERMINATE);
            assertThat(relay.sent.get(1).payload().requestId()).isEqualTo(relay.sent.get(0).payload().requestId());
            assertThat(quick.openRequests()).isEmpty();
        }
    }

    @Test
    void anIncomingRequestIsShownAndAcceptingConnectsWithItsCodeAndAnswers() throws Exception {
        String code = offerOf(alpha, false);
        directory.handle(from(alpha, ChatRequestPayload.Kind.REQUEST, id(1), NOW, code));
        assertThat(shown()).hasSize(1);
        ChatEvent.ChatRequest r = shown().get(0);
        assertThat(r.name()).isEqualTo("Control-Alpha");
        assertThat(r.fingerprint()).isEqualTo(alpha.fingerprint().displayString());
        assertThat(r.level()).isEqualTo(SecurityLevel.ENHANCED);
        directory.accept(r.id());
        assertThat(host.connects).containsExactly(code);
        assertThat(relay.sent).extracting(s -> s.payload().kind()).containsExactly(ChatRequestPayload.Kind.ACCEPT);
        assertThat(relay.sent.get(0).to()).isEqualTo(alpha.fingerprint());
        assertThatThrownBy(() -> directory.accept(r.id())).isInstanceOf(AppException.class);
    }

    @Test
    void decliningSendsADecline() throws Exception {
        directory.handle(from(alpha, ChatRequestPayload.Kind.REQUEST, id(1), NOW, offerOf(alpha, false)));
        directory.decline(shown().get(0).id());
        assertThat(relay.sent).extracting(s -> s.payload().kind()).containsExactly(ChatRequestPayload.Kind.DECLINE);
        assertThat(host.connects).isEmpty();
    }

    @Test
    void aBlockedMembersRequestIsDroppedAndNeverShown() throws Exception {
        relay.publish(alpha, true);
        directory.block("Control-Alpha");
        directory.handle(from(alpha, ChatRequestPayload.Kind.REQUEST, id(1), NOW, offerOf(alpha, false)));
        assertThat(shown()).isEmpty();
        assertThat(directory.unblock("Control-Alpha")).isTrue();
        directory.handle(from(alpha, ChatRequestPayload.Kind.REQUEST, id(2), NOW, offerOf(alpha, false)));
        assertThat(shown()).hasSize(1);
    }

    @Test
    void aRequestWhoseCodeNamesAnotherIdentityIsDropped() throws Exception {
        directory.handle(from(alpha, ChatRequestPayload.Kind.REQUEST, id(1), NOW, offerOf(bravo, false)));
        assertThat(shown()).isEmpty();
    }

    @Test
    void aStaleOrFutureRequestIsDropped() throws Exception {
        directory.handle(from(alpha, ChatRequestPayload.Kind.REQUEST, id(1), NOW.minusSeconds(121),
                offerOf(alpha, false)));
        directory.handle(from(alpha, ChatRequestPayload.Kind.REQUEST, id(2), NOW.plusSeconds(121),
                offerOf(alpha, false)));
        assertThat(shown()).isEmpty();
    }

    @Test
    void aRequestFromAnotherCasMemberIsDropped() throws Exception {
        try (OrganisationAuthority other = OrganisationAuthority.create("Mallory Corp", RANDOM, NOW)) {
            Path certDir = dir.resolve("mallory");
            InMemoryPrivateKeys keys = InMemoryPrivateKeys.generate(RANDOM, clock, 0, 0);
            TransportCertificate.loadOrCreate(certDir, keys, clock);
            byte[] pem = other.issue("Control-Alpha", Files.readAllBytes(certDir.resolve(TransportCertificate.FILE_NAME)),
                    NOW, OrganisationAuthority.MEMBER_VALIDITY, RANDOM).pem();
            String b64 = new String(pem, java.nio.charset.StandardCharsets.US_ASCII).replaceAll("-----[A-Z ]+-----", "")
                    .replaceAll("\\s", "");
            byte[] der = java.util.Base64.getDecoder().decode(b64);
            Member mallory = new Member("Control-Alpha", keys, der);
            directory.handle(from(mallory, ChatRequestPayload.Kind.REQUEST, id(1), NOW, offerOf(mallory, false)));
            assertThat(shown()).isEmpty();
        }
    }

    @Test
    void aPayloadThatDoesNotParseIsDropped() {
        directory.handle(new MemberDirectory.IncomingRequest(alpha.certificate(), new byte[] {1, 1, 0}));
        assertThat(shown()).isEmpty();
    }

    @Test
    void publishesTheBundleWhenConnected() {
        directory.connected();
        assertThat(relay.published).hasSize(1);
    }

    /** The relay's directory as a test double: listings and entries as published, requests recorded. */
    private static final class FakeDirectory implements MemberDirectory {
        record Sent(Fingerprint to, ChatRequestPayload payload) {
        }

        final List<Listing> listings = new ArrayList<>();
        final Map<String, Entry> entries = new HashMap<>();
        final List<Sent> sent = new CopyOnWriteArrayList<>();
        final List<byte[]> published = new CopyOnWriteArrayList<>();
        volatile boolean notOnline;

        void publish(Member m, boolean online) throws Exception {
            listings.add(new Listing(m.name(), m.fingerprint().toBytes(), online));
            entries.put(HexFormat.of().formatHex(m.fingerprint().toBytes()),
                    new Entry(m.certificate(), m.keys().preKeyBundle().encode(), NOW));
        }

        @Override
        public CompletableFuture<Void> publish(byte[] bundle) {
            published.add(bundle);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> unpublish() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<List<Listing>> members() {
            return CompletableFuture.completedFuture(List.copyOf(listings));
        }

        @Override
        public CompletableFuture<Entry> lookup(byte[] fingerprint) {
            Entry e = entries.get(HexFormat.of().formatHex(fingerprint));
            return e == null ? CompletableFuture.failedFuture(new RelayException(RelayException.Reason.UNKNOWN_MEMBER,
                    "no such member")) : CompletableFuture.completedFuture(e);
        }

        @Override
        public CompletableFuture<Void> request(byte[] toFingerprint, byte[] payload) {
            if (notOnline) {
                return CompletableFuture.failedFuture(new RelayException(RelayException.Reason.NOT_ONLINE, "offline"));
            }
            try {
                sent.add(new Sent(Fingerprint.fromBytes(toFingerprint), ChatRequestPayload.decode(payload)));
            } catch (Exception e) {
                return CompletableFuture.failedFuture(e);
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onRequest(Consumer<IncomingRequest> sink) {
            // The test hands requests to the directory itself.
        }
    }

    /** The messenger as a test double: waits, connects and events recorded. */
    private final class FakeHost implements OrganisationDirectory.Host {
        final List<String> waits = new CopyOnWriteArrayList<>();
        final List<Fingerprint> waitsFor = new CopyOnWriteArrayList<>();
        final List<String> connects = new CopyOnWriteArrayList<>();
        final List<String> answers = new CopyOnWriteArrayList<>();
        final List<String> cancelled = new CopyOnWriteArrayList<>();
        final List<ChatEvent> events = new CopyOnWriteArrayList<>();
        String waitCode;

        @Override
        public Optional<MemberDirectory> directory() {
            return Optional.of(relay);
        }

        @Override
        public byte[] bundle() throws org.securep2p.crypto.CryptoException {
            return alpha.keys().preKeyBundle().encode();
        }

        @Override
        public boolean isLive(Fingerprint peer) {
            return false;
        }

        @Override
        public boolean hasConversation(Fingerprint peer) {
            return false;
        }

        @Override
        public ChatEvent.Endpoint waitForMember(SecurityLevel level, Fingerprint member) {
            waitsFor.add(member);
            String attempt = "w" + (waits.size() + 1);
            waits.add(attempt);
            waitCode = offerOf(alpha, true);
            return new ChatEvent.Endpoint(attempt, waitCode, "127.0.0.1:40000", "", "", true);
        }

        @Override
        public void acceptAnswer(String attempt, String answerCode) {
            answers.add(attempt + " " + answerCode);
        }

        @Override
        public String connect(String code, SecurityLevel level) {
            connects.add(code);
            return "c" + connects.size();
        }

        @Override
        public void cancelIfWaiting(String attempt) {
            cancelled.add(attempt);
        }

        @Override
        public void emit(ChatEvent event) {
            events.add(event);
        }
    }
}
