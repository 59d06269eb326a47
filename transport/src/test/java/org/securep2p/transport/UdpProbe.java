package org.securep2p.transport;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A tiny UDP tool that the lab self-test ({@link NetLabIT}) runs inside network namespaces. It speaks just
 * enough STUN (RFC 5389 Binding) and TURN (RFC 5766 Allocate, CreatePermission, Send/Data indications, with
 * long-term credentials) to check the lab, written out here so that the lab is verified independently of
 * the ice4j code it will later test. Not its job: being a STUN/TURN client for the product.
 *
 * <p>Every mode prints one line per fact, {@code KEY value...}, flushes, and exits 0 on success:
 * <pre>
 *   stun LOCALPORT SERVER...             MAPPED SERVER IP:PORT per server (one socket for all)
 *   listen PORT MILLIS [IDLEMILLIS]      READY, then RECEIVED n-distinct and FROM IP:PORT; stops after
 *                                        MILLIS, or IDLEMILLIS after the last datagram once one came
 *   send LOCALPORT HOST:PORT COUNT INTERVALMICROS        numbered datagrams "seq i", then SENT n
 *   punch LOCALPORT PEERHOST:PORT MILLIS                 PUNCH OK, or PUNCH FAIL (exit 1)
 *   turn SERVER USER PASSWORD PERMITTEDPEERIP MILLIS     RELAY IP:PORT, then DATA PEER TEXT for the first
 *                                        datagram relayed in, which is answered "echo:TEXT" (exit 1 if none)
 *   ping LOCALPORT HOST:PORT MILLIS      sends "hello" until REPLY TEXT (exit 1 if none)
 *   tcpecho PORT MILLIS                  READY, then for one TCP connection TCPGOT LINE, answered "echo:LINE"
 *                                        (exit 1 if none came within MILLIS)
 *   tcpsend HOST:PORT TEXT MILLIS        TCPREPLY LINE, or TCPFAIL (exit 1)
 * </pre>
 * The two TCP modes show what a UDP block ({@code netlab.sh block-udp}) must leave open.
 * Port 0 means an ephemeral port.
 */
final class UdpProbe {

    // RFC 5389 / RFC 5766 constants.
    private static final int MAGIC_COOKIE = 0x2112A442;
    private static final int BINDING_REQUEST = 0x0001;
    private static final int BINDING_SUCCESS = 0x0101;
    private static final int ALLOCATE_REQUEST = 0x0003;
    private static final int ALLOCATE_SUCCESS = 0x0103;
    private static final int ALLOCATE_ERROR = 0x0113;
    private static final int CREATE_PERMISSION_REQUEST = 0x0008;
    private static final int CREATE_PERMISSION_SUCCESS = 0x0108;
    private static final int SEND_INDICATION = 0x0016;
    private static final int DATA_INDICATION = 0x0017;
    private static final int ATTR_MAPPED_ADDRESS = 0x0001;
    private static final int ATTR_USERNAME = 0x0006;
    private static final int ATTR_MESSAGE_INTEGRITY = 0x0008;
    private static final int ATTR_ERROR_CODE = 0x0009;
    private static final int ATTR_XOR_PEER_ADDRESS = 0x0012;
    private static final int ATTR_DATA = 0x0013;
    private static final int ATTR_REALM = 0x0014;
    private static final int ATTR_NONCE = 0x0015;
    private static final int ATTR_XOR_RELAYED_ADDRESS = 0x0016;
    private static final int ATTR_REQUESTED_TRANSPORT = 0x0019;
    private static final int ATTR_XOR_MAPPED_ADDRESS = 0x0020;
    private static final int HEADER_BYTES = 20;
    private static final int UDP_PROTOCOL = 17;

    /** A request is retransmitted every RETRY_MILLIS until TRANSACTION_MILLIS pass (the lab has no RTT). */
    private static final int RETRY_MILLIS = 200;
    private static final int TRANSACTION_MILLIS = 3000;
    /** Punch and ping send this often; a peer's first datagram through is answered within one interval. */
    private static final int PUNCH_INTERVAL_MILLIS = 50;
    /** After the first datagram from the peer, keep sending this long so the peer hears us too. */
    private static final int PUNCH_LINGER_MILLIS = 600;
    private static final int MAX_DATAGRAM = 1500;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final PrintStream OUT = System.out;

    private UdpProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: stun|listen|send|punch|turn|ping|tcpecho|tcpsend ...");
        }
        List<String> a = Arrays.asList(args).subList(1, args.length);
        int exit;
        switch (args[0]) {
            case "stun" -> exit = stun(Integer.parseInt(a.get(0)), a.subList(1, a.size()));
            case "listen" -> exit = listen(Integer.parseInt(a.get(0)), Integer.parseInt(a.get(1)),
                    a.size() > 2 ? Integer.parseInt(a.get(2)) : Integer.MAX_VALUE);
            case "send" -> exit = send(Integer.parseInt(a.get(0)), address(a.get(1)), Integer.parseInt(a.get(2)),
                    Integer.parseInt(a.get(3)));
            case "punch" -> exit = punch(Integer.parseInt(a.get(0)), address(a.get(1)), Integer.parseInt(a.get(2)));
            case "turn" -> exit = turn(address(a.get(0)), a.get(1), a.get(2), InetAddress.getByName(a.get(3)),
                    Integer.parseInt(a.get(4)));
            case "ping" -> exit = ping(Integer.parseInt(a.get(0)), address(a.get(1)), Integer.parseInt(a.get(2)));
            case "tcpecho" -> exit = tcpEcho(Integer.parseInt(a.get(0)), Integer.parseInt(a.get(1)));
            case "tcpsend" -> exit = tcpSend(address(a.get(0)), a.get(1), Integer.parseInt(a.get(2)));
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        OUT.flush();
        System.exit(exit);
    }

    private static int stun(int localPort, List<String> servers) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(localPort)) {
            say("LOCAL " + socket.getLocalPort());
            int failures = 0;
            for (String server : servers) {
                byte[] txid = transactionId();
                byte[] response = transact(socket, address(server), message(BINDING_REQUEST, txid).toBytes(),
                        txid);
                if (response == null || type(response) != BINDING_SUCCESS) {
                    say("NOMAPPING " + server);
                    failures++;
                    continue;
                }
                InetSocketAddress mapped = xorAddress(response, ATTR_XOR_MAPPED_ADDRESS);
                if (mapped == null) {
                    mapped = plainAddress(response, ATTR_MAPPED_ADDRESS);
                }
                say("MAPPED " + server + " " + hostPort(mapped));
            }
            return failures == 0 ? 0 : 1;
        }
    }

    private static int listen(int port, int millis, int idleMillis) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(port)) {
            say("READY " + socket.getLocalPort());
            BitSet seen = new BitSet();
            int unnumbered = 0;
            InetSocketAddress first = null;
            long deadline = System.nanoTime() + millis * 1_000_000L;
            DatagramPacket packet = new DatagramPacket(new byte[MAX_DATAGRAM], MAX_DATAGRAM);
            while (true) {
                int left = (int) ((deadline - System.nanoTime()) / 1_000_000L);
                if (left <= 0) {
                    break;
                }
                socket.setSoTimeout(first == null ? left : Math.min(left, idleMillis));
                try {
                    socket.receive(packet);
                } catch (SocketTimeoutException e) {
                    break;
                }
                if (first == null) {
                    first = (InetSocketAddress) packet.getSocketAddress();
                }
                String text = new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII);
                if (text.startsWith("seq ")) {
                    seen.set(Integer.parseInt(text.substring(4).trim()));
                } else {
                    unnumbered++;
                }
            }
            say("RECEIVED " + (seen.cardinality() + unnumbered));
            say("FROM " + (first == null ? "-" : hostPort(first)));
            return 0;
        }
    }

    private static int send(int localPort, InetSocketAddress to, int count, int intervalMicros)
            throws IOException, InterruptedException {
        try (DatagramSocket socket = new DatagramSocket(localPort)) {
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                byte[] b = ("seq " + i).getBytes(StandardCharsets.US_ASCII);
                socket.send(new DatagramPacket(b, b.length, to));
                long due = start + (i + 1L) * intervalMicros * 1000L;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    // Time is the test: the probe sends at a fixed rate.
                    Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                }
            }
            say("SENT " + count);
            return 0;
        }
    }

    private static int punch(int localPort, InetSocketAddress peer, int millis) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(localPort)) {
            socket.setSoTimeout(PUNCH_INTERVAL_MILLIS);
            byte[] hello = "punch".getBytes(StandardCharsets.US_ASCII);
            DatagramPacket packet = new DatagramPacket(new byte[MAX_DATAGRAM], MAX_DATAGRAM);
            long deadline = System.nanoTime() + millis * 1_000_000L;
            long heardAt = 0;
            while (System.nanoTime() < deadline) {
                if (heardAt != 0 && System.nanoTime() - heardAt > PUNCH_LINGER_MILLIS * 1_000_000L) {
                    break;
                }
                socket.send(new DatagramPacket(hello, hello.length, peer));
                try {
                    socket.receive(packet);
                    if (packet.getSocketAddress().equals(peer) && heardAt == 0) {
                        heardAt = System.nanoTime();
                        say("HEARD " + hostPort(peer));
                    }
                } catch (SocketTimeoutException e) {
                    // Nothing this round; send again.
                }
            }
            say(heardAt != 0 ? "PUNCH OK" : "PUNCH FAIL");
            return heardAt != 0 ? 0 : 1;
        }
    }

    private static int ping(int localPort, InetSocketAddress to, int millis) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(localPort)) {
            socket.setSoTimeout(PUNCH_INTERVAL_MILLIS);
            byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
            DatagramPacket packet = new DatagramPacket(new byte[MAX_DATAGRAM], MAX_DATAGRAM);
            long deadline = System.nanoTime() + millis * 1_000_000L;
            while (System.nanoTime() < deadline) {
                socket.send(new DatagramPacket(hello, hello.length, to));
                try {
                    socket.receive(packet);
                    if (packet.getSocketAddress().equals(to)) {
                        say("REPLY " + new String(packet.getData(), 0, packet.getLength(),
                                StandardCharsets.US_ASCII));
                        return 0;
                    }
                } catch (SocketTimeoutException e) {
                    // Send again.
                }
            }
            say("NOREPLY");
            return 1;
        }
    }

    private static int tcpEcho(int port, int millis) throws IOException {
        try (ServerSocket server = new ServerSocket(port)) {
            server.setSoTimeout(millis);
            say("READY " + server.getLocalPort());
            try (Socket s = server.accept()) {
                s.setSoTimeout(millis);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                        StandardCharsets.US_ASCII));
                String line = in.readLine();
                say("TCPGOT " + line);
                s.getOutputStream().write(("echo:" + line + "\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                return 0;
            } catch (SocketTimeoutException e) {
                say("TCPNONE");
                return 1;
            }
        }
    }

    private static int tcpSend(InetSocketAddress to, String text, int millis) {
        try (Socket s = new Socket()) {
            s.connect(to, millis);
            s.setSoTimeout(millis);
            s.getOutputStream().write((text + "\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String reply = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            say("TCPREPLY " + reply);
            return 0;
        } catch (IOException e) {
            say("TCPFAIL " + e.getClass().getSimpleName());
            return 1;
        }
    }

    /**
     * Allocates a relay with the long-term credential mechanism (the first Allocate is answered 401 with the
     * realm and nonce), permits one peer IP, then relays: the first Data indication is printed and answered
     * with a Send indication, so both directions through the relay are exercised.
     */
    private static int turn(InetSocketAddress server, String user, String password, InetAddress permitted,
            int millis) throws IOException, GeneralSecurityException {
        try (DatagramSocket socket = new DatagramSocket(0)) {
            byte[] txid = transactionId();
            byte[] response = transact(socket, server,
                    message(ALLOCATE_REQUEST, txid).add(ATTR_REQUESTED_TRANSPORT, requestedUdp()).toBytes(), txid);
            if (response == null || type(response) != ALLOCATE_ERROR || errorCode(response) != 401) {
                say("TURNFAIL first allocate: expected 401, got " + describe(response));
                return 1;
            }
            byte[] realm = attribute(response, ATTR_REALM);
            byte[] nonce = attribute(response, ATTR_NONCE);
            byte[] key = MessageDigest.getInstance("MD5").digest(
                    (user + ":" + new String(realm, StandardCharsets.UTF_8) + ":" + password)
                            .getBytes(StandardCharsets.UTF_8));

            txid = transactionId();
            response = transact(socket, server, message(ALLOCATE_REQUEST, txid)
                    .add(ATTR_REQUESTED_TRANSPORT, requestedUdp())
                    .add(ATTR_USERNAME, user.getBytes(StandardCharsets.UTF_8))
                    .add(ATTR_REALM, realm).add(ATTR_NONCE, nonce).toBytesWithIntegrity(key), txid);
            if (response == null || type(response) != ALLOCATE_SUCCESS) {
                say("TURNFAIL authenticated allocate: " + describe(response));
                return 1;
            }
            InetSocketAddress relay = xorAddress(response, ATTR_XOR_RELAYED_ADDRESS);
            say("MAPPED " + hostPort(server) + " " + hostPort(xorAddress(response, ATTR_XOR_MAPPED_ADDRESS)));

            txid = transactionId();
            response = transact(socket, server, message(CREATE_PERMISSION_REQUEST, txid)
                    .add(ATTR_XOR_PEER_ADDRESS, xorEncode(new InetSocketAddress(permitted, 0)))
                    .add(ATTR_USERNAME, user.getBytes(StandardCharsets.UTF_8))
                    .add(ATTR_REALM, realm).add(ATTR_NONCE, nonce).toBytesWithIntegrity(key), txid);
            if (response == null || type(response) != CREATE_PERMISSION_SUCCESS) {
                say("TURNFAIL create permission: " + describe(response));
                return 1;
            }
            say("RELAY " + hostPort(relay));

            DatagramPacket packet = new DatagramPacket(new byte[MAX_DATAGRAM], MAX_DATAGRAM);
            long deadline = System.nanoTime() + millis * 1_000_000L;
            while (System.nanoTime() < deadline) {
                socket.setSoTimeout(Math.max(1, (int) ((deadline - System.nanoTime()) / 1_000_000L)));
                try {
                    socket.receive(packet);
                } catch (SocketTimeoutException e) {
                    break;
                }
                byte[] m = Arrays.copyOf(packet.getData(), packet.getLength());
                if (m.length < HEADER_BYTES || type(m) != DATA_INDICATION) {
                    continue;
                }
                InetSocketAddress peer = xorAddress(m, ATTR_XOR_PEER_ADDRESS);
                String text = new String(attribute(m, ATTR_DATA), StandardCharsets.US_ASCII);
                say("DATA " + hostPort(peer) + " " + text);
                byte[] sendTx = transactionId();
                byte[] indication = message(SEND_INDICATION, sendTx)
                        .add(ATTR_XOR_PEER_ADDRESS, xorEncode(peer))
                        .add(ATTR_DATA, ("echo:" + text).getBytes(StandardCharsets.US_ASCII)).toBytes();
                socket.send(new DatagramPacket(indication, indication.length, server));
                return 0;
            }
            say("NODATA");
            return 1;
        }
    }

    // ---- STUN encoding ---------------------------------------------------------------------------------

    private static byte[] requestedUdp() {
        return new byte[] {UDP_PROTOCOL, 0, 0, 0};
    }

    private static byte[] transactionId() {
        byte[] txid = new byte[12];
        RANDOM.nextBytes(txid);
        return txid;
    }

    private static StunMessage message(int type, byte[] txid) {
        return new StunMessage(type, txid);
    }

    /** A STUN message under construction: header plus attributes, each padded to four bytes. */
    private static final class StunMessage {
        private final int type;
        private final byte[] txid;
        private final ByteArrayOutputStream attributes = new ByteArrayOutputStream();

        StunMessage(int type, byte[] txid) {
            this.type = type;
            this.txid = txid;
        }

        StunMessage add(int attrType, byte[] value) {
            attributes.write(attrType >>> 8);
            attributes.write(attrType);
            attributes.write(value.length >>> 8);
            attributes.write(value.length);
            attributes.writeBytes(value);
            for (int i = value.length; i % 4 != 0; i++) {
                attributes.write(0);
            }
            return this;
        }

        byte[] toBytes() {
            byte[] body = attributes.toByteArray();
            return ByteBuffer.allocate(HEADER_BYTES + body.length).putShort((short) type)
                    .putShort((short) body.length).putInt(MAGIC_COOKIE).put(txid).put(body).array();
        }

        /** RFC 5389 15.4: HMAC-SHA1 over the message whose length already counts the integrity attribute. */
        byte[] toBytesWithIntegrity(byte[] key) throws GeneralSecurityException {
            byte[] unsigned = toBytes();
            int length = unsigned.length - HEADER_BYTES + 24;
            unsigned[2] = (byte) (length >>> 8);
            unsigned[3] = (byte) length;
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            byte[] hmac = mac.doFinal(unsigned);
            return ByteBuffer.allocate(unsigned.length + 24).put(unsigned)
                    .putShort((short) ATTR_MESSAGE_INTEGRITY).putShort((short) hmac.length).put(hmac).array();
        }
    }

    /** IPv4 only: the transaction id enters only an IPv6 address's XOR (RFC 5389 15.2). */
    private static byte[] xorEncode(InetSocketAddress address) {
        byte[] ip = address.getAddress().getAddress();
        if (ip.length != 4) {
            throw new IllegalArgumentException("the lab is IPv4 only: " + address);
        }
        ByteBuffer cookie = ByteBuffer.allocate(4).putInt(MAGIC_COOKIE);
        byte[] out = new byte[8];
        out[1] = 0x01;
        int port = address.getPort() ^ (MAGIC_COOKIE >>> 16);
        out[2] = (byte) (port >>> 8);
        out[3] = (byte) port;
        for (int i = 0; i < 4; i++) {
            out[4 + i] = (byte) (ip[i] ^ cookie.get(i));
        }
        return out;
    }

    // ---- STUN decoding (trusting: the lab's own coturn is the only sender) ----------------------------------

    private static byte[] transact(DatagramSocket socket, InetSocketAddress server, byte[] request, byte[] txid)
            throws IOException {
        DatagramPacket packet = new DatagramPacket(new byte[MAX_DATAGRAM], MAX_DATAGRAM);
        long deadline = System.nanoTime() + TRANSACTION_MILLIS * 1_000_000L;
        socket.setSoTimeout(RETRY_MILLIS);
        while (System.nanoTime() < deadline) {
            socket.send(new DatagramPacket(request, request.length, server));
            try {
                socket.receive(packet);
            } catch (SocketTimeoutException e) {
                continue;
            }
            byte[] m = Arrays.copyOf(packet.getData(), packet.getLength());
            if (m.length >= HEADER_BYTES && Arrays.equals(m, 8, 20, txid, 0, 12)) {
                return m;
            }
        }
        return null;
    }

    private static int type(byte[] m) {
        return ((m[0] & 0xff) << 8) | (m[1] & 0xff);
    }

    private static byte[] attribute(byte[] m, int wanted) {
        int end = Math.min(m.length, HEADER_BYTES + (((m[2] & 0xff) << 8) | (m[3] & 0xff)));
        int at = HEADER_BYTES;
        while (at + 4 <= end) {
            int type = ((m[at] & 0xff) << 8) | (m[at + 1] & 0xff);
            int length = ((m[at + 2] & 0xff) << 8) | (m[at + 3] & 0xff);
            if (type == wanted) {
                return Arrays.copyOfRange(m, at + 4, at + 4 + length);
            }
            at += 4 + ((length + 3) & ~3);
        }
        return null;
    }

    private static int errorCode(byte[] m) {
        byte[] v = attribute(m, ATTR_ERROR_CODE);
        return v == null ? -1 : (v[2] & 0x07) * 100 + (v[3] & 0xff);
    }

    private static InetSocketAddress xorAddress(byte[] m, int attr) throws IOException {
        byte[] v = attribute(m, attr);
        if (v == null || v.length < 8 || v[1] != 0x01) {
            return null;
        }
        int port = (((v[2] & 0xff) << 8) | (v[3] & 0xff)) ^ (MAGIC_COOKIE >>> 16);
        byte[] ip = new byte[4];
        for (int i = 0; i < 4; i++) {
            ip[i] = (byte) (v[4 + i] ^ m[4 + i]);
        }
        return new InetSocketAddress(InetAddress.getByAddress(ip), port);
    }

    private static InetSocketAddress plainAddress(byte[] m, int attr) throws IOException {
        byte[] v = attribute(m, attr);
        if (v == null || v.length < 8 || v[1] != 0x01) {
            return null;
        }
        return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(v, 4, 8)),
                ((v[2] & 0xff) << 8) | (v[3] & 0xff));
    }

    private static String describe(byte[] m) {
        if (m == null) {
            return "no answer";
        }
        return String.format("type 0x%04x error %d", type(m), errorCode(m));
    }

    // ---- text ----------------------------------------------------------------------------------------------

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private static String hostPort(InetSocketAddress a) {
        return a == null ? "-" : a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static void say(String line) {
        OUT.println(line);
        OUT.flush();
    }
}
