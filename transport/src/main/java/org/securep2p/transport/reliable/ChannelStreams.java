package org.securep2p.transport.reliable;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import org.securep2p.transport.TransportException;

/**
 * The blocking {@link InputStream} and {@link OutputStream} of a byte channel, written once for the reliable
 * channel and the TLS channel. Guarantees: a read blocks until at least one byte or the end ({@code -1}); a
 * write returns when the channel has taken every byte; a {@link TransportException} reaches the caller as the
 * {@link IOException} the channel makes of it; closing either stream closes the channel.
 *
 * <p>Not its job: bounds, buffering, timeouts or thread safety beyond the channel's own; the channel keeps them.
 */
public final class ChannelStreams {

    /** What a channel offers its streams. */
    public interface Channel {
        /** Reads up to {@code len} bytes, blocking for the first; -1 at the end; checks the bounds. */
        int readBlocking(byte[] b, int off, int len) throws TransportException;

        /** Bytes a read returns without blocking; 0 once closed. */
        int available();

        /** Writes all {@code len} bytes, blocking while the channel is full. */
        void write(byte[] b, int off, int len) throws TransportException;

        void close();

        /** The stream form of a failure; the exception stays its cause. */
        default IOException asIOException(TransportException e) {
            return new IOException(e.getMessage(), e);
        }
    }

    private ChannelStreams() {
    }

    /** A blocking input stream over {@code channel}. */
    public static InputStream input(Channel channel) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return channel.readBlocking(b, off, len);
                } catch (TransportException e) {
                    throw channel.asIOException(e);
                }
            }

            @Override
            public int available() {
                return channel.available();
            }

            @Override
            public void close() {
                channel.close();
            }
        };
    }

    /** A blocking output stream over {@code channel}; {@code flush()} does nothing, writes go out at once. */
    public static OutputStream output(Channel channel) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    channel.write(b, off, len);
                } catch (TransportException e) {
                    throw channel.asIOException(e);
                }
            }

            @Override
            public void close() {
                channel.close();
            }
        };
    }
}
