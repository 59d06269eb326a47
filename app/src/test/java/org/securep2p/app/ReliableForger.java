package org.securep2p.app;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An on-path attacker for {@link AttackPeers.UdpProxy} that knows the reliable channel's wire format (PROTOCOL.md
 * 13.2, written here from the document, not from the transport's code; versions 1 and 2) but no key: while armed, after each
 * real datagram it forwards it adds a forgery copied from that datagram's own header (version, connection id,
 * the next packet number) in the same direction, cycling through a CLOSE (ABORT and GOODBYE in turn), a PING
 * numbered 2^20 − 2 ahead, and an ACK that acknowledges every packet number the other direction has used.
 * Each forgery is untagged, as an attacker without the packet keys must send it.
 */
final class ReliableForger {

    private static final int HEADER = 14;
    private static final int TYPE_ACK = 2;
    private static final int TYPE_PING = 3;
    private static final int TYPE_CLOSE = 4;

    private final AtomicBoolean armed = new AtomicBoolean();
    /** Largest packet number seen upstream (dialer → waiter) and downstream. */
    private final AtomicLong largestUp = new AtomicLong(-1);
    private final AtomicLong largestDown = new AtomicLong(-1);
    private final AtomicInteger n = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    final AtomicInteger pings = new AtomicInteger();
    final AtomicInteger acks = new AtomicInteger();

    void arm() {
        armed.set(true);
    }

    void disarm() {
        armed.set(false);
    }

    AttackPeers.UdpProxy.Filter upstream() {
        return d -> forward(d, largestUp, largestDown);
    }

    AttackPeers.UdpProxy.Filter downstream() {
        return d -> forward(d, largestDown, largestUp);
    }

    private List<byte[]> forward(byte[] d, AtomicLong thisWay, AtomicLong otherWay) {
        List<byte[]> out = new ArrayList<>(2);
        out.add(d);
        if (d.length < HEADER || (d[0] != 1 && d[0] != 2)) {
            return out; // not a reliable-channel packet (a STUN check, say); version 1 too, to show what it did
        }
        long pn = u64(d, 6);
        thisWay.accumulateAndGet(pn, Math::max);
        if (!armed.get()) {
            return out;
        }
        long next = thisWay.get() + 1;
        switch (n.getAndIncrement() % 3) {
            case 0 -> {
                byte[] c = header(d, TYPE_CLOSE, next, HEADER + 1);
                c[HEADER] = (byte) (closes.getAndIncrement() % 2); // 1 ABORT, 0 GOODBYE
                out.add(c);
            }
            case 1 -> {
                byte[] p = header(d, TYPE_PING, next + (1L << 20) - 2, HEADER + 9);
                // max data 0, no ranges
                out.add(p);
                pings.incrementAndGet();
            }
            default -> {
                long theirs = otherWay.get();
                if (theirs >= 0) {
                    byte[] a = header(d, TYPE_ACK, next, HEADER + 9 + 12);
                    putU64(a, HEADER, 1L << 40);            // max data: open the window wide
                    a[HEADER + 8] = 1;                        // one range
                    putU64(a, HEADER + 9, theirs);            // largest
                    putU32(a, HEADER + 17, Math.min(theirs, 0xFFFF_FFFFL)); // ... down to 0
                    out.add(a);
                    acks.incrementAndGet();
                }
            }
        }
        return out;
    }

    int forged() {
        return closes.get() + pings.get() + acks.get();
    }

    private static byte[] header(byte[] model, int type, long number, int length) {
        byte[] b = new byte[length];
        System.arraycopy(model, 0, b, 0, HEADER);
        b[1] = (byte) type; // untagged: no key to tag with
        putU64(b, 6, number);
        return b;
    }

    private static long u64(byte[] b, int p) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[p + i] & 0xFF);
        }
        return v;
    }

    private static void putU64(byte[] b, int p, long v) {
        for (int i = 0; i < 8; i++) {
            b[p + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    private static void putU32(byte[] b, int p, long v) {
        for (int i = 0; i < 4; i++) {
            b[p + i] = (byte) (v >>> (24 - 8 * i));
        }
    }
}
