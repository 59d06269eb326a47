package org.securep2p.transport.reliable;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntPredicate;

/**
 * An in-memory pair of {@link DatagramLink}s joined by two impaired one-way paths: seeded random loss,
 * duplication, reordering (a datagram held back so that later ones overtake it) and delay, plus a switch
 * that cuts both directions and a way to inject arbitrary datagrams. Each path queues at most
 * {@link #MAX_QUEUED} datagrams (tail drop beyond, like a router buffer), so a test's memory is bounded.
 *
 * <p>Everything random comes from the seed, so a failing run's impairment pattern can be replayed (thread
 * timing still varies).
 */
public final class FaultyLink {

    /** Datagrams a path holds in flight; beyond this a send is dropped, as a full router queue would. */
    static final int MAX_QUEUED = 8192;

    /** What a path does to each datagram, independently. */
    public record Impairment(double loss, double duplicate, double reorder, Duration hold, Duration delay) {

        public Impairment {
            check(loss, "loss");
            check(duplicate, "duplicate");
            check(reorder, "reorder");
            if (hold.isNegative() || delay.isNegative()) {
                throw new IllegalArgumentException("negative time");
            }
        }

        public static Impairment none() {
            return new Impairment(0, 0, 0, Duration.ZERO, Duration.ZERO);
        }

        public Impairment withLoss(double p) {
            return new Impairment(p, duplicate, reorder, hold, delay);
        }

        private static void check(double p, String what) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException(what + " probability " + p);
            }
        }
    }

    /** Counters of one path. */
    record PathStats(long sent, long lost, long duplicated, long reordered, long tailDropped, long injected) {
    }

    private final Path toB;
    private final Path toA;
    private final End a;
    private final End b;

    private FaultyLink(Impairment impairment, long seed) {
        this.toB = new Path(impairment, new Random(seed));
        this.toA = new Path(impairment, new Random(seed * 31 + 7));
        this.a = new End(toB, toA);
        this.b = new End(toA, toB);
    }

    /** A pair impaired the same way in both directions (independent random streams from one seed). */
    public static FaultyLink pair(Impairment impairment, long seed) {
        return new FaultyLink(impairment, seed);
    }

    public DatagramLink a() {
        return a;
    }

    public DatagramLink b() {
        return b;
    }

    /** Drops everything in both directions, queued datagrams included, until {@link #heal()}. */
    void cut() {
        toA.cut(true);
        toB.cut(true);
    }

    void heal() {
        toA.cut(false);
        toB.cut(false);
    }

    /** Delivers {@code datagram} to A as if B had sent it, unimpaired. */
    public void injectToA(byte[] datagram) {
        toA.inject(datagram);
    }

    public void injectToB(byte[] datagram) {
        toB.inject(datagram);
    }

    /** Drops exactly the datagrams A sends whose index (0 for A's first datagram) matches. */
    void dropFromA(IntPredicate index) {
        toB.dropIndex = index;
    }

    /** Copies of the last few datagrams A sent (before impairment). */
    public List<byte[]> recentFromA() {
        return toB.recent();
    }

    /** Copies of the last few datagrams B sent (before impairment). */
    public List<byte[]> recentFromB() {
        return toA.recent();
    }

    PathStats statsToA() {
        return toA.stats();
    }

    PathStats statsToB() {
        return toB.stats();
    }

    private static final class Item implements Comparable<Item> {
        final long deliverAt;
        final long seq;
        final byte[] data;

        Item(long deliverAt, long seq, byte[] data) {
            this.deliverAt = deliverAt;
            this.seq = seq;
            this.data = data;
        }

        @Override
        public int compareTo(Item o) {
            int c = Long.compare(deliverAt, o.deliverAt);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** One direction: a time-ordered queue with its own lock. */
    private static final class Path {
        private static final int RECENT = 64;

        private final Impairment imp;
        private final Random random;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition arrived = lock.newCondition();
        private final PriorityQueue<Item> queue = new PriorityQueue<>();
        private final ArrayDeque<byte[]> recent = new ArrayDeque<>();
        private long seq;
        private boolean cut;
        private volatile IntPredicate dropIndex = i -> false;
        private long sent;
        private long lost;
        private long duplicated;
        private long reordered;
        private long tailDropped;
        private long injected;

        Path(Impairment imp, Random random) {
            this.imp = imp;
            this.random = random;
        }

        void send(byte[] buf, int off, int len) {
            byte[] copy = Arrays.copyOfRange(buf, off, off + len);
            lock.lock();
            try {
                boolean chosen = dropIndex.test((int) sent);
                sent++;
                if (recent.size() == RECENT) {
                    recent.removeFirst();
                }
                recent.addLast(copy);
                if (cut || chosen) {
                    lost++;
                    return;
                }
                if (random.nextDouble() < imp.loss()) {
                    lost++;
                    return;
                }
                int copies = 1;
                if (random.nextDouble() < imp.duplicate()) {
                    copies = 2;
                    duplicated++;
                }
                long now = System.nanoTime();
                for (int i = 0; i < copies; i++) {
                    long at = now + imp.delay().toNanos();
                    if (random.nextDouble() < imp.reorder()) {
                        at += imp.hold().toNanos();
                        reordered++;
                    }
                    enqueue(at, copy);
                }
            } finally {
                lock.unlock();
            }
        }

        void inject(byte[] datagram) {
            lock.lock();
            try {
                injected++;
                enqueue(System.nanoTime(), datagram.clone());
            } finally {
                lock.unlock();
            }
        }

        private void enqueue(long at, byte[] data) {
            if (queue.size() >= MAX_QUEUED) {
                tailDropped++;
                return;
            }
            queue.add(new Item(at, seq++, data));
            arrived.signalAll();
        }

        int receive(byte[] buf, int timeoutMillis, End end) throws IOException {
            lock.lock();
            try {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
                while (true) {
                    if (end.closed) {
                        throw new IOException("link closed");
                    }
                    long now = System.nanoTime();
                    Item head = queue.peek();
                    if (head != null && head.deliverAt - now <= 0) {
                        queue.poll();
                        // Like a socket: a datagram longer than the buffer is cut to it.
                        int n = Math.min(head.data.length, buf.length);
                        System.arraycopy(head.data, 0, buf, 0, n);
                        return n;
                    }
                    long wake = deadline;
                    if (head != null && head.deliverAt - deadline < 0) {
                        wake = head.deliverAt;
                    }
                    if (deadline - now <= 0) {
                        return -1;
                    }
                    arrived.awaitNanos(Math.max(1, wake - now));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } finally {
                lock.unlock();
            }
        }

        void cut(boolean on) {
            lock.lock();
            try {
                cut = on;
                if (on) {
                    lost += queue.size();
                    queue.clear();
                }
            } finally {
                lock.unlock();
            }
        }

        void wake() {
            lock.lock();
            try {
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
        }

        List<byte[]> recent() {
            lock.lock();
            try {
                return new ArrayList<>(recent);
            } finally {
                lock.unlock();
            }
        }

        PathStats stats() {
            lock.lock();
            try {
                return new PathStats(sent, lost, duplicated, reordered, tailDropped, injected);
            } finally {
                lock.unlock();
            }
        }
    }

    private static final class End implements DatagramLink {
        private final Path out;
        private final Path in;
        private volatile boolean closed;

        End(Path out, Path in) {
            this.out = out;
            this.in = in;
        }

        @Override
        public void send(byte[] buf, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("link closed");
            }
            if (len > MAX_DATAGRAM) {
                throw new IOException("datagram of " + len + " bytes");
            }
            out.send(buf, off, len);
        }

        @Override
        public int receive(byte[] buf, int timeoutMillis) throws IOException {
            return in.receive(buf, timeoutMillis, this);
        }

        @Override
        public String pathKind() {
            return "loopback";
        }

        @Override
        public void close() {
            closed = true;
            in.wake();
        }
    }
}
