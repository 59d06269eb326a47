package org.securep2p.relay.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.securep2p.relay.MailboxId;
import org.securep2p.relay.RelayFrame;
import org.securep2p.relay.SigningKey;

import static org.assertj.core.api.Assertions.assertThat;

/** Whatever bytes a client sends, the relay answers them, keeps serving, and its stored state is unchanged. */
class RelayServerProperties {

    static Path data;
    static RelayServer relay;
    static MailboxId box;
    static SigningKey receive;
    /** A bystander connection that must keep being served whatever the others send. */
    static RawRelayClient bystander;

    @BeforeContainer
    static void start() throws Exception {
        data = Files.createTempDirectory("relay-props",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        SecureRandom random = new SecureRandom();
        relay = RelayServer.start(new RelayConfig("127.0.0.1", 0, data, Duration.ofDays(1), 100, 1 << 20, 100, 1000,
                1000, 100, Optional.empty()), random);
        box = MailboxId.random(random);
        receive = SigningKey.generate(random);
        SigningKey send = SigningKey.generate(random);
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            c.create(box, receive, send, new byte[0]);
            c.post(box, send, 3600, new byte[] {1, 2, 3});
        }
        bystander = RawRelayClient.connect(relay.address());
    }

    @AfterContainer
    static void stop() throws Exception {
        if (bystander != null) {
            bystander.close();
        }
        if (relay != null) {
            relay.close();
        }
        try (Stream<Path> files = Files.walk(data)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Provide
    Arbitrary<byte[]> clientBytes() {
        Arbitrary<byte[]> any = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
        // Mostly version 1 and a request type, so the checks past the header are reached too.
        Arbitrary<byte[]> headed = Arbitraries.bytes().array(byte[].class).ofMinSize(6).ofMaxSize(200)
                .flatMap(b -> Arbitraries.of(16, 17, 18, 19, 20, 1, 2, 3, 4, 99).map(type -> {
                    b[0] = 1;
                    b[1] = (byte) (int) type;
                    return b;
                }));
        return Arbitraries.oneOf(any, headed, headed, headed);
    }

    @Property(tries = 30)
    void anyClientBytesGetOneAnswerAndChangeNothing(@ForAll("clientBytes") byte[] bytes) throws Exception {
        try (RawRelayClient c = RawRelayClient.connect(relay.address())) {
            c.send(bytes);
            RelayFrame answer = c.next();
            assertThat(answer).isInstanceOfAny(RelayFrame.Ok.class, RelayFrame.Error.class);
        }
        assertThat(relay.store().itemsAfter(box, 0, java.time.Instant.now(), 10))
                .singleElement().satisfies(i -> assertThat(i.blob()).containsExactly(1, 2, 3));
        int id = bystander.nextId();
        bystander.send(new RelayFrame.Ping(id));
        assertThat(bystander.next()).isEqualTo(new RelayFrame.Ok(id, 0));
    }
}
