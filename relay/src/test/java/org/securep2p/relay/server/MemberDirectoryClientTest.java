package org.securep2p.relay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securep2p.crypto.testing.Await;
import org.securep2p.relay.MemberDirectory;
import org.securep2p.relay.RelayAddress;
import org.securep2p.relay.RelayClient;
import org.securep2p.relay.RelayConnector;
import org.securep2p.relay.RelayException;
import org.securep2p.relay.RelayFrame;

/**
 * The client's {@link MemberDirectory} ({@code RelayClient.directory()}) against a real organisation relay on
 * 127.0.0.1: the path the messenger takes for §23.3–23.4.
 */
class MemberDirectoryClientTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final RelayConnector.Timeouts FAST = new RelayConnector.Timeouts(Duration.ofSeconds(2),
            Duration.ofSeconds(20), Duration.ofMillis(50), Duration.ofMillis(200));

    @TempDir
    Path data;
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
    private OrganisationRelayFixture org;
    private RelayServer open;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (org != null) {
            org.close();
        }
        if (open != null) {
            open.close();
        }
    }

    private RelayClient client(RelayAddress address) throws RelayException {
        RelayConnector c = RelayConnector.start(address, new SecureRandom(), FAST);
        closing.add(c);
        RelayClient client = c.open();
        Await.until("the client is connected", WAIT, () -> client.state() == RelayClient.State.CONNECTED);
        return client;
    }

    private MemberDirectory member(AuthenticatedMember m) throws RelayException {
        org.as(m);
        return client(org.relay.address()).directory();
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static RelayException.Reason failure(CompletableFuture<?> f) {
        Throwable t = null;
        try {
            f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            t = e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(t).isInstanceOf(RelayException.class);
        return ((RelayException) t).reason();
    }

    @Test
    void publishListLookUpAndRequestThroughTheClient() throws Exception {
        org = new OrganisationRelayFixture(data);
        AuthenticatedMember alpha = org.member("Control-Alpha");
        AuthenticatedMember bravo = org.member("Control-Bravo");
        MemberDirectory a = member(alpha);
        MemberDirectory b = member(bravo);
        BlockingQueue<MemberDirectory.IncomingRequest> toBravo = new LinkedBlockingQueue<>();
        BlockingQueue<String> threads = new LinkedBlockingQueue<>();
        b.onRequest(r -> {
            // The thread first: the test reads it as soon as the request is in (it raced the other way round).
            threads.add(Thread.currentThread().getName());
            toBravo.add(r);
        });

        get(b.publish(new byte[] {4, 5, 6}));
        List<MemberDirectory.Listing> list = get(a.members());
        assertThat(list).hasSize(1);
        assertThat(list.get(0).name()).isEqualTo("Control-Bravo");
        assertThat(list.get(0).fingerprint()).isEqualTo(bravo.fingerprint());
        assertThat(list.get(0).online()).isTrue();

        MemberDirectory.Entry e = get(a.lookup(bravo.fingerprint()));
        assertThat(e.certificate()).isEqualTo(bravo.certificate());
        assertThat(e.bundle()).isEqualTo(new byte[] {4, 5, 6});
        assertThat(e.published()).isEqualTo(org.clock.instant());
        assertThat(failure(a.lookup(alpha.fingerprint()))).isEqualTo(RelayException.Reason.UNKNOWN_MEMBER);

        get(a.request(bravo.fingerprint(), new byte[] {1, 9}));
        MemberDirectory.IncomingRequest in = toBravo.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(in).isNotNull();
        assertThat(in.fromCertificate()).isEqualTo(alpha.certificate());
        assertThat(in.payload()).isEqualTo(new byte[] {1, 9});
        assertThat(threads.poll()).isEqualTo("relay-client-events");

        assertThat(failure(b.request(org.member("Control-Charlie").fingerprint(), new byte[] {1})))
                .isEqualTo(RelayException.Reason.NOT_ONLINE);
        get(b.unpublish());
        assertThat(get(a.members())).isEmpty();
    }

    @Test
    void anOpenRelayRefusesEveryDirectoryCallNotAllowed() throws Exception {
        open = RelayServer.start(RelayConfig.defaults("127.0.0.1", 0, data), new SecureRandom());
        RelayClient c = client(open.address());
        MemberDirectory d = c.directory();
        byte[] fp = new byte[32];
        assertThat(failure(d.publish(new byte[] {1}))).isEqualTo(RelayException.Reason.NOT_ALLOWED);
        assertThat(failure(d.unpublish())).isEqualTo(RelayException.Reason.NOT_ALLOWED);
        assertThat(failure(d.members())).isEqualTo(RelayException.Reason.NOT_ALLOWED);
        assertThat(failure(d.lookup(fp))).isEqualTo(RelayException.Reason.NOT_ALLOWED);
        assertThat(failure(d.request(fp, new byte[] {1}))).isEqualTo(RelayException.Reason.NOT_ALLOWED);
        assertThat(c.state()).isEqualTo(RelayClient.State.CONNECTED);
    }

    @Test
    void argumentsOutsideTheWireBoundsAreRefusedAtTheCall() throws Exception {
        open = RelayServer.start(RelayConfig.defaults("127.0.0.1", 0, data), new SecureRandom());
        MemberDirectory d = client(open.address()).directory();
        assertThatThrownBy(() -> d.publish(new byte[RelayFrame.MAX_BUNDLE + 1]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.lookup(new byte[31])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.request(new byte[32], new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
