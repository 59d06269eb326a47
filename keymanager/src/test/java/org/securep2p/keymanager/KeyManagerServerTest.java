package org.securep2p.keymanager;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeResult;
import org.securep2p.crypto.HandshakeTranscript;
import org.securep2p.crypto.HybridHandshake;
import org.securep2p.crypto.InMemoryPrivateKeys;
import org.securep2p.crypto.InitialMessage;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.PreKeyViews;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.crypto.testing.Await;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A real server on a real Unix domain socket in a temporary directory, driven by the client and by raw bytes. */
class KeyManagerServerTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path temp;

    private final SecureRandom random = new SecureRandom();
    private final byte[] token = new byte[IpcCodec.TOKEN_LENGTH];
    private InMemoryPrivateKeys bob;
    private KeyManagerServer server;

    @BeforeEach
    void start() throws Exception {
        random.nextBytes(token);
        bob = InMemoryPrivateKeys.generate(random, CLOCK, 2, 1);
        server = KeyManagerServer.start(temp.resolve("bob"), token, bob);
    }

    @AfterEach
    void stop() {
        server.close();
        bob.close();
    }

    private KeyManagerClient client() throws IOException {
        return KeyManagerClient.connect(server.socketPath(), token);
    }

    @Test
    void handshakeWithBothSidesThroughTheKeyManager() throws Exception {
        byte[] aliceToken = new byte[IpcCodec.TOKEN_LENGTH];
        random.nextBytes(aliceToken);
        try (InMemoryPrivateKeys aliceKeys = InMemoryPrivateKeys.generate(random, CLOCK, 0, 0);
                KeyManagerServer aliceServer = KeyManagerServer.start(temp.resolve("alice"), aliceToken, aliceKeys);
                KeyManagerClient alice = KeyManagerClient.connect(aliceServer.socketPath(), aliceToken);
                KeyManagerClient bobClient = client()) {
            HybridHandshake handshake = new HybridHandshake(random, CLOCK);
            for (SecurityLevel level : SecurityLevel.values()) {
                PreKeyBundle bundle = bobClient.preKeyBundle();
                byte[] hello = ("hello at " + level).getBytes(StandardCharsets.UTF_8);
                try (HandshakeResult a = handshake.initiate(alice, bundle, level,
                        bobClient.identity().fingerprint(), hello);
                        HandshakeResult b = handshake.respond(bobClient, bundle,
                                InitialMessage.decode(a.initialMessage().orElseThrow().encode()), level)) {
                    assertThat(a.sessionSecret().equalsConstantTime(b.sessionSecret())).isTrue();
                    assertThat(b.payload()).contains(hello);
                    assertThat(b.peerIdentity()).isEqualTo(alice.identity());
                }
            }
        }
    }

    private SecretBytes masterKey() throws KeyManagerException {
        KeyDirectory.ensure(temp.resolve("keys"));
        byte[] b = new byte[32];
        random.nextBytes(b);
        return SecretBytes.copyOf(b);
    }

    @Test
    void theChatRolesConnectionIsRefusedTheCaStorageKey() throws Exception {
        try (SecretBytes master = masterKey();
                AppStorageKeys storage = AppStorageKeys.openOrCreate(temp.resolve("keys"), true, master, random);
                KeyManagerServer chat = KeyManagerServer.start(temp.resolve("chat"), token, bob, storage,
                        KeyManagerRole.CHAT);
                KeyManagerClient c = KeyManagerClient.connect(chat.socketPath(), token)) {
            c.storageKey("conversations").close();
            assertThatThrownBy(() -> c.storageKey(KeyManagerRole.CA_PURPOSE))
                    .isInstanceOf(CryptoException.class)
                    .hasFieldOrPropertyWithValue("reason", CryptoException.Reason.UNSUPPORTED_PARAMETER)
                    .hasMessageContaining("CHAT role");
            // The refusal costs nothing else: the connection keeps serving.
            c.storageKey("conversations").close();
        }
    }

    @Test
    void theCaRolesConnectionDerivesTheCaStorageKeyOnly() throws Exception {
        try (SecretBytes master = masterKey();
                AppStorageKeys storage = AppStorageKeys.openOrCreate(temp.resolve("keys"), true, master, random);
                KeyManagerServer ca = KeyManagerServer.start(temp.resolve("ca"), token, bob, storage,
                        KeyManagerRole.CA);
                KeyManagerClient c = KeyManagerClient.connect(ca.socketPath(), token);
                SecretBytes caKey = c.storageKey(KeyManagerRole.CA_PURPOSE);
                SecretBytes expected = storage.derive(KeyManagerRole.CA_PURPOSE)) {
            assertThat(caKey.equalsConstantTime(expected)).isTrue();
            assertThatThrownBy(() -> c.storageKey("conversations"))
                    .isInstanceOf(CryptoException.class)
                    .hasFieldOrPropertyWithValue("reason", CryptoException.Reason.UNSUPPORTED_PARAMETER);
        }
    }

    @Test
    void theRoleIsFixedOnTheCommandLineAndDefaultsToChat() {
        assertThat(KeyManagerMain.CommandLine.parse(new String[] {"s", "k"}).orElseThrow().role())
                .isEqualTo(KeyManagerRole.CHAT);
        assertThat(KeyManagerMain.CommandLine.parse(new String[] {"s", "k", "--role=ca"}).orElseThrow().role())
                .isEqualTo(KeyManagerRole.CA);
        KeyManagerMain.CommandLine both = KeyManagerMain.CommandLine.parse(
                new String[] {"s", "k", KeyManagerMain.ASK_PARENT_OPTION, "--role=chat"}).orElseThrow();
        assertThat(both.askParent()).isTrue();
        assertThat(both.role()).isEqualTo(KeyManagerRole.CHAT);
        for (String[] bad : new String[][] {{}, {"s", "k", "--role=root"}, {"s", "k", "--role=ca", "--role=chat"},
                {"s", "k", "--role=CA"}, {"s", "k", "x", "y", "z"}, {"s", "--role=ca"}}) {
            assertThat(KeyManagerMain.CommandLine.parse(bad)).as(String.join(" ", bad)).isEmpty();
        }
    }

    @Test
    void answersAsTheBackendDoes() throws Exception {
        try (KeyManagerClient c = client()) {
            assertThat(c.identity()).isEqualTo(bob.identity());
            assertThat(c.fetchIdentity()).isEqualTo(bob.identity());
            byte[] peer = org.securep2p.crypto.IdentityPublicKeys.class.cast(bob.identity()).encoded();
            byte[] x25519 = Arrays.copyOfRange(peer, 2, 34);
            try (SecretBytes viaIpc = c.agreeWithIdentityKey(x25519);
                    SecretBytes direct = bob.agreeWithIdentityKey(x25519)) {
                assertThat(viaIpc.equalsConstantTime(direct)).isTrue();
            }
            byte[] cv = certificateVerifyInput();
            assertThat(c.signTlsCertificateVerify(cv)).isEqualTo(bob.signTlsCertificateVerify(cv));
            HandshakeTranscript t = HandshakeTranscript.of(SecurityLevel.QUANTUM_RESISTANT, new byte[64]);
            assertThat(c.signHandshakeTranscript(t).hasFalcon()).isTrue();
        }
    }

    private static byte[] certificateVerifyInput() {
        byte[] context = "TLS 1.3, server CertificateVerify".getBytes(StandardCharsets.US_ASCII);
        byte[] pad = new byte[64];
        Arrays.fill(pad, (byte) 0x20);
        return new StrictWriter().bytes(pad).bytes(context).u8(0).bytes(new byte[32]).toByteArray();
    }

    @Test
    void oneTimePreKeyConsumedThroughIpcCannotBeConsumedAgain() throws Exception {
        try (KeyManagerClient c = client()) {
            int id = c.preKeyBundle().oneTimePreKey().orElseThrow().id();
            byte[] peer = PreKeyViews.signedPreKey(c.preKeyBundle()).publicKey();
            c.consumeOneTimePreKey(id, peer).close();
            assertThatThrownBy(() -> c.consumeOneTimePreKey(id, peer)).isInstanceOfSatisfying(
                    CryptoException.class,
                    e -> assertThat(e.reason()).isEqualTo(CryptoException.Reason.PREKEY_ALREADY_USED));
            assertThat(c.isOpen()).isTrue();
        }
    }

    @Test
    void backendReasonsComeBackThroughIpc() throws Exception {
        try (KeyManagerClient c = client()) {
            byte[] key = PreKeyViews.signedPreKey(c.preKeyBundle()).publicKey();
            assertReason(() -> c.agreeWithSignedPreKey(99, key), CryptoException.Reason.UNKNOWN_PREKEY);
            assertReason(() -> c.agreeWithIdentityKey(new byte[32]), CryptoException.Reason.LOW_ORDER_POINT);
            assertReason(() -> c.agreeWithIdentityKey(new byte[5]), CryptoException.Reason.BAD_ENCODING);
            assertReason(() -> c.agreeWithIdentityKey(new byte[33]), CryptoException.Reason.BAD_ENCODING);
            assertReason(() -> c.decapsulate(77, new byte[1568]), CryptoException.Reason.UNKNOWN_PREKEY);
            assertReason(() -> c.signTlsCertificateVerify(new byte[10]), CryptoException.Reason.UNSUPPORTED_PARAMETER);
            assertReason(() -> c.signTransportCertificate(new byte[] {0x30, 0x00}),
                    CryptoException.Reason.UNSUPPORTED_PARAMETER);
            assertThat(c.fetchIdentity()).isEqualTo(bob.identity());
        }
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void assertReason(Call call, CryptoException.Reason reason) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    // ---- raw bytes on the socket --------------------------------------------------------------------------

    private SocketChannel rawConnect() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(server.socketPath()));
        return ch;
    }

    private SocketChannel rawAuthenticated() throws IOException {
        SocketChannel ch = rawConnect();
        IpcCodec.writeFrame(ch, IpcCodec.encodeRequest(IpcRequest.hello(1, token)));
        byte[] hello = IpcCodec.readFrame(ch).orElseThrow();
        assertThat(hello[6]).isEqualTo((byte) IpcCodec.Status.OK.code);
        return ch;
    }

    private static byte[] frame(byte[] payload) {
        return new StrictWriter().var32(payload).toByteArray();
    }

    private static byte[] payload(int version, int op, int id, byte[] body) {
        return new StrictWriter().u8(version).u8(op).u32(id).bytes(body).toByteArray();
    }

    /** Sends one frame and returns the response's status byte. */
    private static int exchange(SocketChannel ch, byte[] frame) throws IOException {
        IpcCodec.writeFrame(ch, frame);
        byte[] response = IpcCodec.readFrame(ch).orElseThrow();
        return response[6] & 0xFF;
    }

    private void assertStillServing(SocketChannel ch) throws Exception {
        assertThat(exchange(ch, IpcCodec.encodeRequest(IpcRequest.empty(IpcOp.IDENTITY, 5))))
                .isEqualTo(IpcCodec.Status.OK.code);
    }

    private void assertFreshClientServed() throws Exception {
        try (KeyManagerClient c = client()) {
            assertThat(c.fetchIdentity()).isEqualTo(bob.identity());
        }
    }

    /**
     * The server has closed {@code ch}: a read sees end of stream, or a reset when the server closed with our
     * bytes still unread in its buffer (which is how the kernel reports that case).
     */
    private static void assertClosedByServer(SocketChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1);
        int n;
        try {
            do {
                n = ch.read(b.clear());
            } while (n == 0);
        } catch (java.net.SocketException e) {
            assertThat(e.getMessage()).contains("reset");
            return;
        }
        assertThat(n).isEqualTo(-1);
    }

    @Test
    void unknownOpGetsAnErrorAndTheConnectionKeepsServing() throws Exception {
        try (SocketChannel ch = rawAuthenticated()) {
            assertThat(exchange(ch, frame(payload(1, 0x7F, 2, new byte[0]))))
                    .isEqualTo(IpcCodec.Status.UNKNOWN_OP.code);
            assertStillServing(ch);
        }
    }

    @Test
    void unknownVersionGetsAnErrorAndTheConnectionKeepsServing() throws Exception {
        try (SocketChannel ch = rawAuthenticated()) {
            assertThat(exchange(ch, frame(payload(9, IpcOp.IDENTITY.code, 2, new byte[0]))))
                    .isEqualTo(IpcCodec.Status.UNKNOWN_VERSION.code);
            assertStillServing(ch);
        }
    }

    @Test
    void malformedBodyGetsAnErrorAndTheConnectionKeepsServing() throws Exception {
        try (SocketChannel ch = rawAuthenticated()) {
            assertThat(exchange(ch, frame(payload(1, IpcOp.AGREE_IDENTITY.code, 2, new byte[] {0, 40}))))
                    .isEqualTo(IpcCodec.Status.MALFORMED_REQUEST.code);
            assertThat(exchange(ch, frame(payload(1, IpcOp.IDENTITY.code, 3, new byte[1]))))
                    .isEqualTo(IpcCodec.Status.MALFORMED_REQUEST.code);
            assertThat(exchange(ch, IpcCodec.encodeRequest(IpcRequest.hello(4, token))))
                    .isEqualTo(IpcCodec.Status.MALFORMED_REQUEST.code);
            assertStillServing(ch);
        }
    }

    @Test
    void oversizeFrameGetsAnErrorAndIsClosedAndTheServerKeepsServing() throws Exception {
        try (SocketChannel ch = rawAuthenticated()) {
            IpcCodec.writeFrame(ch, ByteBuffer.allocate(4).putInt(IpcCodec.MAX_FRAME_LENGTH + 1).array());
            byte[] response = IpcCodec.readFrame(ch).orElseThrow();
            assertThat(response[6] & 0xFF).isEqualTo(IpcCodec.Status.FRAME_TOO_LARGE.code);
            assertClosedByServer(ch);
        }
        assertFreshClientServed();
    }

    @Test
    void frameShorterThanItsHeaderIsClosed() throws Exception {
        try (SocketChannel ch = rawAuthenticated()) {
            IpcCodec.writeFrame(ch, new StrictWriter().u32(2).u16(0).toByteArray());
            byte[] response = IpcCodec.readFrame(ch).orElseThrow();
            assertThat(response[6] & 0xFF).isEqualTo(IpcCodec.Status.MALFORMED_REQUEST.code);
            assertClosedByServer(ch);
        }
        assertFreshClientServed();
    }

    @Test
    void truncatedStreamCostsOnlyThatConnection() throws Exception {
        try (SocketChannel ch = rawAuthenticated()) {
            byte[] whole = IpcCodec.encodeRequest(IpcRequest.empty(IpcOp.PREKEY_BUNDLE, 2));
            IpcCodec.writeFrame(ch, Arrays.copyOf(whole, whole.length - 1));
            ch.shutdownOutput();
            assertClosedByServer(ch);
        }
        assertFreshClientServed();
    }

    @Test
    void wrongTokenIsRefusedWithoutAnAnswer() throws Exception {
        byte[] wrong = token.clone();
        wrong[31] ^= 1;
        assertThatThrownBy(() -> KeyManagerClient.connect(server.socketPath(), wrong))
                .isInstanceOfSatisfying(IpcException.class,
                        e -> assertThat(e.reason()).isEqualTo(IpcException.Reason.NOT_AUTHENTICATED));
        assertThat(server.refusedPeers()).isEqualTo(1);
        assertFreshClientServed();
    }

    @Test
    void aFirstFrameOtherThanHelloIsClosed() throws Exception {
        try (SocketChannel ch = rawConnect()) {
            IpcCodec.writeFrame(ch, IpcCodec.encodeRequest(IpcRequest.empty(IpcOp.IDENTITY, 1)));
            assertClosedByServer(ch);
        }
        try (SocketChannel ch = rawConnect()) {
            IpcCodec.writeFrame(ch, frame(new byte[] {1, 2, 3, 4, 5, 6, 7}));
            assertClosedByServer(ch);
        }
        assertThat(server.refusedPeers()).isEqualTo(2);
        assertFreshClientServed();
    }

    @Test
    void manyConnectionsAtOnceAreBoundedAndLaterOnesServed() throws Exception {
        List<SocketChannel> idle = new ArrayList<>();
        // Closes every idle connection opened so far, in the order opened, after the extra one.
        try (Closeable closesIdle = () -> {
            for (SocketChannel ch : idle) {
                ch.close();
            }
        }) {
            for (int i = 0; i < KeyManagerServer.MAX_CONNECTIONS; i++) {
                idle.add(rawAuthenticated());
            }
            try (SocketChannel extra = rawConnect()) {
                assertClosedByServer(extra);
            }
        }
        // Slots are released as the server notices the closes; a fresh client gets one soon after.
        Await.until("a fresh client served once the server has noticed the closes", Duration.ofSeconds(5), () -> {
            try {
                assertFreshClientServed();
                return true;
            } catch (IOException e) {
                return false; // no slot yet
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void clientFailsAsUnavailableWhenTheServerGoes() throws Exception {
        KeyManagerClient c = client();
        server.close();
        assertThatThrownBy(c::preKeyBundle).isInstanceOf(KeyManagerClient.UnavailableException.class);
        assertThat(c.isOpen()).isFalse();
        assertThatThrownBy(c::preKeyBundle).isInstanceOf(KeyManagerClient.UnavailableException.class);
    }

    // ---- directory and socket permissions -----------------------------------------------------------------

    @Test
    void directoryIs0700AndSocketIs0600() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(temp.resolve("bob"))))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socketPath())))
                .isEqualTo("rw-------");
    }

    @Test
    void refusesAnExistingDirectoryWithLooserPermissions() throws Exception {
        Path loose = Files.createDirectory(temp.resolve("loose"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rwxr-x---"));
        assertUnsafe(loose);
    }

    @Test
    void refusesALinkOrAFileInPlaceOfTheDirectory() throws Exception {
        Path file = Files.createFile(temp.resolve("file"));
        assertUnsafe(file);
        Path link = Files.createSymbolicLink(temp.resolve("link"), temp.resolve("bob"));
        assertUnsafe(link);
    }

    @Test
    void reusesAnExisting0700DirectoryAndReplacesAStaleSocket() throws Exception {
        server.close();
        try (KeyManagerServer again = KeyManagerServer.start(temp.resolve("bob"), token, bob)) {
            server = again;
            assertFreshClientServed();
        }
    }

    private void assertUnsafe(Path dir) {
        assertThatThrownBy(() -> KeyManagerServer.start(dir, token, bob)).isInstanceOfSatisfying(
                IpcException.class, e -> assertThat(e.reason()).isEqualTo(IpcException.Reason.UNSAFE_DIRECTORY));
    }

    @Test
    void readsTheTokenLineStrictly() throws Exception {
        byte[] line = ("ab".repeat(32) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] parsed = KeyManagerMain.readToken(new java.io.ByteArrayInputStream(line));
        byte[] expected = new byte[32];
        Arrays.fill(expected, (byte) 0xAB);
        assertThat(parsed).isEqualTo(expected);
        for (String bad : new String[] {"ab".repeat(31) + "\n", "ab".repeat(32) + "x\n", "zz".repeat(32) + "\n",
                "ab".repeat(32)}) {
            assertThatThrownBy(() -> KeyManagerMain.readToken(
                    new java.io.ByteArrayInputStream(bad.getBytes(StandardCharsets.US_ASCII))))
                    .isInstanceOf(IOException.class);
        }
        assertThat(Optional.of(parsed)).isPresent();
    }
}
