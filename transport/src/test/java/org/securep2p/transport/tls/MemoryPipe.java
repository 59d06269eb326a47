package org.securep2p.transport.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Two connected in-memory stream ends, standing in for the reliable channel in tests: what one end writes
 * the other reads, in order, through a bounded buffer per direction, so a writer blocks when the reader is
 * behind, as on a real link. No network.
 *
 * <p>Closing an end's output gives the other end's input end-of-stream once drained. Closing an end's input
 * makes the other end's writes fail, and fails its own blocked read. Interrupting a blocked thread ends the
 * wait with {@link InterruptedIOException}.
 */
final class MemoryPipe {

    /** Per direction: large enough for a whole handshake flight, small enough to exercise back-pressure. */
    static final int DEFAULT_CAPACITY = 64 * 1024;

    /** One end: the stream to read from and the stream to write to. */
    static final class End {
        private final InputStream in;
        private final OutputStream out;

        End(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        InputStream in() {
            return in;
        }

        OutputStream out() {
            return out;
        }

        void close() {
            try {
                out.close();
                in.close();
            } catch (IOException e) {
                throw new AssertionError("memory pipes do not fail to close", e);
            }
        }
    }

    private final End a;
    private final End b;

    private MemoryPipe(int capacity) {
        Direction ab = new Direction(capacity);
        Direction ba = new Direction(capacity);
        a = new End(ba.input, ab.output);
        b = new End(ab.input, ba.output);
    }

    static MemoryPipe create() {
        return new MemoryPipe(DEFAULT_CAPACITY);
    }

    static MemoryPipe withCapacity(int capacity) {
        return new MemoryPipe(capacity);
    }

    End a() {
        return a;
    }

    End b() {
        return b;
    }

    /** One direction: a ring buffer with a writer side and a reader side. */
    private static final class Direction {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final byte[] ring;
        private int head;
        private int size;
        private boolean writerClosed;
        private boolean readerClosed;

        final InputStream input = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                Objects.checkFromIndexSize(off, len, b.length);
                if (len == 0) {
                    return 0;
                }
                lock.lock();
                try {
                    while (size == 0) {
                        if (readerClosed) {
                            throw new IOException("pipe input closed");
                        }
                        if (writerClosed) {
                            return -1;
                        }
                        await();
                    }
                    int n = Math.min(len, size);
                    int first = Math.min(n, ring.length - head);
                    System.arraycopy(ring, head, b, off, first);
                    System.arraycopy(ring, 0, b, off + first, n - first);
                    head = (head + n) % ring.length;
                    size -= n;
                    changed.signalAll();
                    return n;
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public int available() {
                lock.lock();
                try {
                    return size;
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public void close() {
                lock.lock();
                try {
                    readerClosed = true;
                    size = 0;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        };

        final OutputStream output = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                Objects.checkFromIndexSize(off, len, b.length);
                lock.lock();
                try {
                    while (len > 0) {
                        if (writerClosed) {
                            throw new IOException("pipe output closed");
                        }
                        if (readerClosed) {
                            throw new IOException("the other end closed its input");
                        }
                        if (size == ring.length) {
                            await();
                            continue;
                        }
                        int tail = (head + size) % ring.length;
                        int n = Math.min(len, Math.min(ring.length - size, ring.length - tail));
                        System.arraycopy(b, off, ring, tail, n);
                        size += n;
                        off += n;
                        len -= n;
                        changed.signalAll();
                    }
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public void close() {
                lock.lock();
                try {
                    writerClosed = true;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        };

        Direction(int capacity) {
            ring = new byte[capacity];
        }

        @SuppressWarnings("WaitNotInLoop") // every caller waits in a loop that rechecks its condition
        private void await() throws InterruptedIOException {
            try {
                changed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting on the pipe");
            }
        }
    }
}
