package org.securep2p.transport;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.securep2p.transport.ice.StunAddressAttribute;

/**
 * A STUN server on loopback for EndpointDiscovery's tests: four sockets, 127.0.0.1 and 127.0.0.2 each on a
 * primary and an alternate port, answering Binding requests with XOR-MAPPED-ADDRESS and, if asked to,
 * OTHER-ADDRESS. What it does with CHANGE-REQUEST is the test's choice: honour it, ignore it (answer from where
 * the request came in, as a server without RFC 5780 might), or drop the answer (what a filtering NAT does to it).
 */
final class FakeRfc5780Server implements AutoCloseable {

    enum ChangeRequest { HONOUR, IGNORE, DROP }

    private static final InetAddress PRIMARY_IP = address("127.0.0.1");
    private static final InetAddress OTHER_IP = address("127.0.0.2");

    private final boolean otherAddress;
    /** The OTHER-ADDRESS it names instead of its own alternate one, or null. */
    private final InetSocketAddress announced;
    private final ChangeRequest change;
    /** The transaction IDs of the Binding requests it received, on any of its sockets. */
    private final Set<String> transactions = ConcurrentHashMap.newKeySet();
    /** [ip][port]: 0 primary, 1 alternate. */
    private final DatagramSocket[][] sockets = new DatagramSocket[2][2];
    private final List<Thread> threads = new ArrayList<>();

    FakeRfc5780Server(boolean otherAddress, ChangeRequest change) throws IOException {
        this(otherAddress, null, change);
    }

    /** A server that names {@code announced} as its OTHER-ADDRESS (a lie, or a spoofed answer). */
    FakeRfc5780Server(InetSocketAddress announced, ChangeRequest change) throws IOException {
        this(true, announced, change);
    }

    private FakeRfc5780Server(boolean otherAddress, InetSocketAddress announced, ChangeRequest change)
            throws IOException {
        this.otherAddress = otherAddress;
        this.announced = announced;
        this.change = change;
        for (int attempt = 0; ; attempt++) {
            try {
                sockets[0][0] = new DatagramSocket(new InetSocketAddress(PRIMARY_IP, 0));
                sockets[0][1] = new DatagramSocket(new InetSocketAddress(PRIMARY_IP, 0));
                sockets[1][0] = new DatagramSocket(new InetSocketAddress(OTHER_IP, sockets[0][0].getLocalPort()));
                sockets[1][1] = new DatagramSocket(new InetSocketAddress(OTHER_IP, sockets[0][1].getLocalPort()));
                break;
            } catch (SocketException e) {
                closeSockets();
                if (attempt == 5) {
                    throw e;
                }
            }
        }
        for (DatagramSocket[] row : sockets) {
            for (DatagramSocket s : row) {
                Thread t = new Thread(() -> serve(s), "fake-stun");
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
        }
    }

    /** The primary address, to configure as the STUN server. */
    String primary() {
        return "127.0.0.1:" + sockets[0][0].getLocalPort();
    }

    /** How many distinct Binding requests reached it (retransmissions count once). */
    int requestsSeen() {
        return transactions.size();
    }

    private void serve(DatagramSocket s) {
        byte[] buf = new byte[1500];
        while (!s.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
                ByteBuffer in = ByteBuffer.wrap(p.getData(), 0, p.getLength());
                if (p.getLength() < 20 || in.getShort(0) != 0x0001) {
                    continue;
                }
                byte[] tid = new byte[12];
                in.position(8);
                in.get(tid);
                transactions.add(HexFormat.of().formatHex(tid));
                boolean changeIp = false;
                boolean changePort = false;
                int at = 20;
                while (at + 4 <= p.getLength()) {
                    int type = in.getShort(at) & 0xffff;
                    int len = in.getShort(at + 2) & 0xffff;
                    if (type == 0x0003 && len == 4) {
                        int flags = in.getInt(at + 4);
                        changeIp = (flags & 4) != 0;
                        changePort = (flags & 2) != 0;
                    }
                    at += 4 + (len + 3) / 4 * 4;
                }
                DatagramSocket from = s;
                if (changeIp || changePort) {
                    if (change == ChangeRequest.DROP) {
                        continue;
                    }
                    if (change == ChangeRequest.HONOUR) {
                        int ip = indexOf(s)[0] ^ (changeIp ? 1 : 0);
                        int port = indexOf(s)[1] ^ (changePort ? 1 : 0);
                        from = sockets[ip][port];
                    }
                }
                byte[] answer = response(tid, (InetSocketAddress) p.getSocketAddress());
                from.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private int[] indexOf(DatagramSocket s) {
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                if (sockets[i][j] == s) {
                    return new int[] {i, j};
                }
            }
        }
        throw new IllegalStateException();
    }

    private byte[] response(byte[] tid, InetSocketAddress client) {
        ByteBuffer b = ByteBuffer.allocate(20 + 12 + 12);
        b.putShort((short) 0x0101).putShort((short) 0).putInt(0x2112A442).put(tid);
        // XOR-MAPPED-ADDRESS (RFC 8489 14.2), IPv4.
        b.putShort((short) 0x0020).putShort((short) 8).put((byte) 0).put((byte) 1)
                .putShort((short) (client.getPort() ^ 0x2112));
        byte[] ip = client.getAddress().getAddress();
        b.putInt(ByteBuffer.wrap(ip).getInt() ^ 0x2112A442);
        if (otherAddress) {
            InetSocketAddress other = announced != null ? announced
                    : new InetSocketAddress(OTHER_IP, sockets[1][1].getLocalPort());
            b.putShort((short) StunAddressAttribute.OTHER_ADDRESS).putShort((short) 8).put((byte) 0).put((byte) 1)
                    .putShort((short) other.getPort()).put(other.getAddress().getAddress());
        }
        b.putShort(2, (short) (b.position() - 20));
        byte[] out = new byte[b.position()];
        b.flip();
        b.get(out);
        return out;
    }

    private static InetAddress address(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private void closeSockets() {
        for (DatagramSocket[] row : sockets) {
            for (DatagramSocket s : row) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        closeSockets();
        for (Thread t : threads) {
            t.join(1_000);
        }
    }
}
