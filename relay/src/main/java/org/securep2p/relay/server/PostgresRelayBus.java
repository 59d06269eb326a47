package org.securep2p.relay.server;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.securep2p.relay.MailboxId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RelayBus} of relay instances sharing one PostgreSQL database (PROTOCOL.md §23.5): {@code LISTEN} on
 * channel {@value #CHANNEL} on one dedicated connection, polled by a thread of its own; announcements are
 * {@code pg_notify} calls, which PostgreSQL delivers to every listener (this instance's too) when, and only if, the
 * sending transaction commits. A POST's NOTIFY is sent by {@link PostgresMailboxStore} inside the POST's own
 * transaction, so {@link #posted} has nothing left to do. When the listening connection breaks, the thread
 * reconnects with a growing pause and then calls {@link Listener#resynchronise()}: whatever was announced meanwhile
 * is found by re-reading the store. Not its job: deciding what a message means (the listener).
 */
final class PostgresRelayBus implements RelayBus {

    static final String CHANNEL = "securep2p_relay";
    /** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; longer requests go through a table. */
    static final int MAX_PAYLOAD = 7_999;
    /** How long one wait for notifications lasts: also how soon close() is noticed. */
    static final Duration POLL = Duration.ofMillis(500);
    /** With nothing heard for this long, the listening connection is checked with a query. */
    static final Duration CHECK_EVERY = Duration.ofSeconds(5);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** Requests live 120 s (§23.4); rows of longer ones are kept that long, then removed by the next request. */
    static final Duration REQUEST_ROW_LIFETIME = Duration.ofMinutes(2);

    private static final Logger LOG = LoggerFactory.getLogger(PostgresRelayBus.class);
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,18}");
    private static final Pattern SERIAL_HEX = Pattern.compile("[0-9a-f]{1,64}");

    /** The listening thread's lifecycle. */
    private enum State { LISTENING, RECONNECTING, CLOSED }

    private final PostgresDatabase db;
    private final AtomicReference<State> state = new AtomicReference<>(State.LISTENING);
    private final AtomicLong reconnections = new AtomicLong();
    private final Thread thread;
    private volatile Listener listener = NO_LISTENER;
    /** The dedicated connection; replaced by the listening thread only. */
    private volatile Connection listening;

    private PostgresRelayBus(PostgresDatabase db, Connection listening) {
        this.db = db;
        this.listening = listening;
        this.thread = new Thread(this::run, "relay-bus");
        thread.setDaemon(true);
    }

    /** Opens the listening connection and starts listening before returning: nothing committed after is missed. */
    static PostgresRelayBus start(PostgresDatabase db) throws IOException {
        Connection c;
        try {
            c = listenOn(db);
        } catch (SQLException e) {
            throw new IOException("The relay's database at " + db.location().where() + " refused to LISTEN: "
                    + PostgresDatabase.rootMessage(e), e);
        }
        PostgresRelayBus bus = new PostgresRelayBus(db, c);
        bus.thread.start();
        return bus;
    }

    private static Connection listenOn(PostgresDatabase db) throws SQLException {
        Connection c = db.dedicatedConnection();
        try (Statement s = c.createStatement()) {
            s.execute("LISTEN " + CHANNEL);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Sends {@code payload} on the channel within {@code c}'s transaction (delivered if it commits). */
    static void notify(Connection c, String payload) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            p.setString(1, CHANNEL);
            p.setString(2, payload);
            p.execute();
        }
    }

    @Override
    public void posted(MailboxId mailbox, long sequence) {
        // Already announced: PostgresMailboxStore.post sent the NOTIFY in the POST's transaction.
    }

    @Override
    public void request(byte[] fingerprint, byte[] incomingFrame) {
        String payload = "r " + HexFormat.of().formatHex(fingerprint) + " "
                + Base64.getEncoder().encodeToString(incomingFrame);
        send("announce a request", c -> {
            if (payload.length() <= MAX_PAYLOAD) {
                notify(c, payload);
                return;
            }
            long now = System.currentTimeMillis();
            try (PreparedStatement p = c.prepareStatement("DELETE FROM bus_request WHERE created < ?")) {
                p.setLong(1, now - REQUEST_ROW_LIFETIME.toMillis());
                p.executeUpdate();
            }
            long id;
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO bus_request (body, created) VALUES (?, ?) RETURNING id")) {
                p.setBytes(1, payload.getBytes(StandardCharsets.US_ASCII));
                p.setLong(2, now);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    id = r.getLong(1);
                }
            }
            notify(c, "q " + id);
        });
    }

    @Override
    public void revoked(BigInteger serial) {
        String payload = "k " + serial.toString(16);
        send("announce a revocation", c -> notify(c, payload));
    }

    private interface Send {
        void run(Connection c) throws SQLException;
    }

    private void send(String what, Send body) {
        try (Connection c = db.pool().getConnection()) {
            c.setAutoCommit(false);
            try {
                body.run(c);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            LOG.warn("The relay could not {} to its other instances (SQL state {})", what, e.getSQLState());
        }
    }

    @Override
    public void listen(Listener l) {
        listener = Objects.requireNonNull(l, "listener");
    }

    private void run() {
        long lastHeard = System.nanoTime();
        while (state.get() != State.CLOSED) {
            try {
                PGNotification[] ns = listening.unwrap(PGConnection.class)
                        .getNotifications((int) POLL.toMillis());
                if (ns != null && ns.length > 0) {
                    lastHeard = System.nanoTime();
                    for (PGNotification n : ns) {
                        if (CHANNEL.equals(n.getName())) {
                            dispatch(n.getParameter());
                        }
                    }
                } else if (System.nanoTime() - lastHeard > CHECK_EVERY.toNanos()) {
                    // A connection that died without a word (no RST) is only found by using it.
                    try (Statement s = listening.createStatement()) {
                        s.execute("SELECT 1");
                    }
                    lastHeard = System.nanoTime();
                }
            } catch (SQLException e) {
                if (state.get() == State.CLOSED) {
                    break;
                }
                LOG.warn("The relay's bus lost its database connection (SQL state {}); reconnecting", e.getSQLState());
                reconnect();
                lastHeard = System.nanoTime();
            } catch (RuntimeException e) {
                // A listener's bug must not end the bus: every later push would be lost.
                LOG.warn("The relay's bus listener failed", e);
            }
        }
        closeQuietly(listening);
    }

    /** Reconnects with a doubling pause, then asks the listener to re-read what it may have missed. */
    private void reconnect() {
        closeQuietly(listening);
        if (!state.compareAndSet(State.LISTENING, State.RECONNECTING)) {
            return;
        }
        long pause = FIRST_BACKOFF.toMillis();
        while (state.get() == State.RECONNECTING) {
            try {
                Connection c = listenOn(db);
                listening = c;
                if (!state.compareAndSet(State.RECONNECTING, State.LISTENING)) {
                    closeQuietly(c);
                    return;
                }
                reconnections.incrementAndGet();
                LOG.info("The relay's bus is listening again");
                listener.resynchronise();
                return;
            } catch (SQLException e) {
                LOG.debug("The relay's bus could not reconnect (SQL state {})", e.getSQLState());
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            pause = Math.min(pause * 2, MAX_BACKOFF.toMillis());
        }
    }

    /** Parses one message strictly; anything else is ignored (a hint lost costs latency only). */
    private void dispatch(String m) {
        if (m == null || m.length() < 3 || m.charAt(1) != ' ') {
            LOG.debug("The relay's bus ignored a malformed message");
            return;
        }
        String[] f = m.substring(2).split(" ", -1);
        switch (m.charAt(0)) {
            case 'm' -> {
                if (f.length == 2 && HEX64.matcher(f[0]).matches() && DECIMAL.matcher(f[1]).matches()) {
                    listener.posted(MailboxId.of(HexFormat.of().parseHex(f[0])), Long.parseLong(f[1]));
                    return;
                }
            }
            case 'r' -> {
                if (f.length == 2 && HEX64.matcher(f[0]).matches()) {
                    byte[] frame;
                    try {
                        frame = Base64.getDecoder().decode(f[1]);
                    } catch (IllegalArgumentException e) {
                        break;
                    }
                    listener.request(HexFormat.of().parseHex(f[0]), frame);
                    return;
                }
            }
            case 'q' -> {
                if (f.length == 1 && DECIMAL.matcher(f[0]).matches()) {
                    readRequestRow(Long.parseLong(f[0]));
                    return;
                }
            }
            case 'k' -> {
                if (f.length == 1 && SERIAL_HEX.matcher(f[0]).matches()) {
                    listener.revoked(new BigInteger(f[0], 16));
                    return;
                }
            }
            default -> {
                // An unknown kind: ignored below.
            }
        }
        LOG.debug("The relay's bus ignored a malformed message");
    }

    private void readRequestRow(long id) {
        String body;
        try (Connection c = db.pool().getConnection();
                PreparedStatement p = c.prepareStatement("SELECT body FROM bus_request WHERE id = ?")) {
            p.setLong(1, id);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return;
                }
                body = new String(r.getBytes(1), StandardCharsets.US_ASCII);
            }
        } catch (SQLException e) {
            LOG.warn("The relay's bus could not read a request (SQL state {})", e.getSQLState());
            return;
        }
        if (body.startsWith("r ")) {
            dispatch(body);
        }
    }

    /** How often the listening connection was re-established (tests). */
    long reconnections() {
        return reconnections.get();
    }

    /** The server process of the listening connection (tests end it with pg_terminate_backend). */
    int listeningBackend() throws SQLException {
        return listening.unwrap(PGConnection.class).getBackendPID();
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        listener = NO_LISTENER;
        try {
            thread.join(POLL.toMillis() * 4);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(listening);
    }

    private static void closeQuietly(Connection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (SQLException e) {
            LOG.debug("closing the bus connection (SQL state {})", e.getSQLState());
        }
    }

    @Override
    public String toString() {
        return "PostgresRelayBus[" + db.location() + ", " + state.get() + "]";
    }
}
