package org.securep2p.app.tui;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/**
 * The terminal's output stream, buffered: a frame goes out in a few writes, at Lanterna's flush, instead of one
 * system call per character (System.out flushes on every write, and Lanterna writes each cell on its own: about
 * 1,400 writes for the first screens, each waking the terminal emulator). The one place where Lanterna waits for
 * the terminal's answer without flushing first, its size query ({@code CSI 6n}, a cursor position report), is
 * flushed here as soon as the query is written, so the answer can come.
 */
final class TerminalOutput extends OutputStream {

    /** {@code ESC [ 6 n}: "report the cursor position". */
    private static final byte[] POSITION_QUERY = {0x1b, '[', '6', 'n'};
    private final OutputStream out;
    private final byte[] buffer;
    private int count;

    TerminalOutput(OutputStream out, int size) {
        this.out = out;
        this.buffer = new byte[size];
    }

    @Override
    public synchronized void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        for (int i = 0; i < len; i++) {
            if (count == buffer.length) {
                drain();
            }
            buffer[count++] = b[off + i];
            if (endsWithPositionQuery()) {
                flush();
            }
        }
    }

    private boolean endsWithPositionQuery() {
        if (count < POSITION_QUERY.length) {
            return false;
        }
        for (int i = 0; i < POSITION_QUERY.length; i++) {
            if (buffer[count - POSITION_QUERY.length + i] != POSITION_QUERY[i]) {
                return false;
            }
        }
        return true;
    }

    private void drain() throws IOException {
        if (count > 0) {
            out.write(buffer, 0, count);
            count = 0;
        }
    }

    @Override
    public synchronized void flush() throws IOException {
        drain();
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        flush();
    }
}
