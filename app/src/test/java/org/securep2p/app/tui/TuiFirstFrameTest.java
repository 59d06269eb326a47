package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import org.junit.jupiter.api.Test;
import org.securep2p.app.Messenger;
import org.securep2p.crypto.testing.Await;

/**
 * The hook the program starts its key manager from (PROTOCOL.md 18, start-up order): it runs once, right after the
 * menu's first frame is on the terminal, before the keys exist, and never again.
 */
class TuiFirstFrameTest {

    @Test
    void runsOnceWithTheMenuOnTheTerminalWhileTheKeysAreStillToCome() throws Exception {
        DefaultVirtualTerminal terminal = new DefaultVirtualTerminal(new TerminalSize(100, 30));
        CompletableFuture<Messenger> keys = new CompletableFuture<>();
        List<String> screensAtCall = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread ui = new Thread(() -> {
            try {
                Tui.run(keys, terminal, Clock.fixed(Instant.parse("2026-12-06T12:00:00Z"), ZoneOffset.UTC),
                        ZoneOffset.UTC, () -> screensAtCall.add(screen(terminal)));
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "tui-under-test");
        ui.setDaemon(true);
        ui.start();

        Await.until("the first frame's hook", Duration.ofSeconds(15), () -> !screensAtCall.isEmpty());
        assertThat(screensAtCall.get(0)).contains("main menu");
        // More frames (a key's answer, the quit) do not run it again.
        terminal.addInput(new KeyStroke('4', false, false));
        Await.until("the level screen", Duration.ofSeconds(15), () -> screen(terminal).contains("Minimum security level"));
        terminal.addInput(new KeyStroke('3', false, false));
        Await.until("the menu again", Duration.ofSeconds(15), () -> screen(terminal).contains("main menu"));
        terminal.addInput(new KeyStroke('7', false, false));
        ui.join(15_000);
        assertThat(ui.isAlive()).as("the TUI ended after 7").isFalse();
        assertThat(failure.get()).isNull();
        assertThat(screensAtCall).hasSize(1);
        assertThat(keys).isNotDone();
    }

    private static String screen(DefaultVirtualTerminal terminal) {
        TerminalSize size = terminal.getTerminalSize();
        StringBuilder out = new StringBuilder();
        for (int row = 0; row < size.getRows(); row++) {
            for (int col = 0; col < size.getColumns(); col++) {
                out.append(terminal.getCharacter(col, row).getCharacterString());
            }
            out.append('\n');
        }
        return out.toString();
    }
}
