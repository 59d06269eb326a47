package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The TUI's buffered terminal stream: few writes, nothing lost or reordered, the size query sent at once. */
class TerminalOutputTest {

    /** Records each write that reaches the terminal. */
    private static final class Terminal extends OutputStream {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final List<Integer> writes = new ArrayList<>();

        @Override
        public void write(int b) {
            writes.add(1);
            all.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes.add(len);
            all.write(b, off, len);
        }
    }

    @Test
    void aFrameWrittenCellByCellReachesTheTerminalInOneWriteAtFlush() throws IOException {
        Terminal terminal = new Terminal();
        TerminalOutput out = new TerminalOutput(terminal, 1024);
        for (char c : "main menu".toCharArray()) {
            out.write(new byte[] {(byte) c});
        }
        assertThat(terminal.writes).isEmpty();
        out.flush();
        assertThat(terminal.writes).containsExactly(9);
        assertThat(terminal.all.toString(StandardCharsets.US_ASCII)).isEqualTo("main menu");
    }

    @Test
    void sendsTheCursorPositionQueryAtOnceSoTheTerminalCanAnswerIt() throws IOException {
        Terminal terminal = new Terminal();
        TerminalOutput out = new TerminalOutput(terminal, 1024);
        // Lanterna's size query: save, move far away, ask, restore; then it waits for the answer without a flush.
        out.write("\u001b[s".getBytes(StandardCharsets.US_ASCII));
        out.write("\u001b[5001;5001H".getBytes(StandardCharsets.US_ASCII));
        out.write("\u001b[6n".getBytes(StandardCharsets.US_ASCII));
        assertThat(terminal.all.toString(StandardCharsets.US_ASCII)).isEqualTo("\u001b[s\u001b[5001;5001H\u001b[6n");
    }

    @Property
    void passesEveryByteOnInOrderWhateverTheChunksAndBufferSize(@ForAll byte[] data,
            @ForAll @IntRange(min = 1, max = 64) int chunk, @ForAll @IntRange(min = 1, max = 32) int size)
            throws IOException {
        Terminal terminal = new Terminal();
        TerminalOutput out = new TerminalOutput(terminal, size);
        for (int i = 0; i < data.length; i += chunk) {
            out.write(data, i, Math.min(chunk, data.length - i));
        }
        out.flush();
        assertThat(terminal.all.toByteArray()).isEqualTo(data);
        assertThat(terminal.writes).allMatch(n -> n <= size);
    }
}
