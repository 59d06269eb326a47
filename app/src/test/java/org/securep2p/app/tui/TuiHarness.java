package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import org.securep2p.app.Messenger;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.terminal.Terminal;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import com.googlecode.lanterna.terminal.virtual.VirtualTerminalListener;
import org.securep2p.crypto.testing.Await;

/** Runs a Tui on a virtual terminal in its own thread; the test types keys and reads the screen. */
final class TuiHarness implements AutoCloseable {

    /** Upper bound for any awaited condition; conditions normally hold within a few ticks. */
    static final long TIMEOUT_MILLIS = 15_000;
    /** How long a frame must stay unchanged to count as complete. */
    static final long STABLE_MILLIS = 30;
    static final Instant NOW = Instant.parse("2026-11-23T14:05:00Z");

    final FakeMessenger messenger = new FakeMessenger();
    final DefaultVirtualTerminal terminal;
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final AtomicInteger bells = new AtomicInteger();
    private final Thread ui;

    TuiHarness(int columns, int rows) {
        this(columns, rows, null);
    }

    /**
     * With {@code keys} non-null, the Tui gets the messenger only when the test completes {@code keys} (with
     * {@link #messenger}, or a failure): the key manager still starting.
     */
    TuiHarness(int columns, int rows, CompletableFuture<Messenger> keys) {
        this(columns, rows, keys, false);
    }

    /** With {@code bell}: as {@code tui.bell=true} in profile.properties; {@link #bells} counts the rings. */
    TuiHarness(int columns, int rows, CompletableFuture<Messenger> keys, boolean bell) {
        this(columns, rows, keys, bell, null);
    }

    /** With {@code control} as the terminal's byte stream: what OSC 52 and bracketed paste write to. */
    static TuiHarness withControl(int columns, int rows, OutputStream control) {
        return new TuiHarness(columns, rows, null, false, control);
    }

    private TuiHarness(int columns, int rows, CompletableFuture<Messenger> keys, boolean bell,
            OutputStream control) {
        terminal = new DefaultVirtualTerminal(new TerminalSize(columns, rows));
        terminal.addVirtualTerminalListener(new VirtualTerminalListener() {
            @Override
            public void onFlush() {
            }

            @Override
            public void onBell() {
                bells.incrementAndGet();
            }

            @Override
            public void onClose() {
            }

            @Override
            public void onResized(Terminal t, TerminalSize size) {
            }
        });
        ui = new Thread(() -> {
            try {
                if (control != null) {
                    Tui.run(messenger, terminal, Clock.fixed(NOW, ZoneOffset.UTC), ZoneOffset.UTC, control);
                    return;
                }
                if (bell) {
                    Tui.run(messenger, terminal, Clock.fixed(NOW, ZoneOffset.UTC), ZoneOffset.UTC, true);
                    return;
                }
                if (keys != null) {
                    Tui.run(keys, terminal, Clock.fixed(NOW, ZoneOffset.UTC), ZoneOffset.UTC);
                    return;
                }
                Tui.run(messenger, terminal, Clock.fixed(NOW, ZoneOffset.UTC), ZoneOffset.UTC);
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "tui-under-test");
        ui.setDaemon(true);
        ui.start();
        awaitScreen(s -> s.contains("main menu"));
    }

    String screen() {
        TerminalSize size = terminal.getTerminalSize();
        StringBuilder out = new StringBuilder();
        for (int row = 0; row < size.getRows(); row++) {
            out.append(line(row)).append('\n');
        }
        return out.toString();
    }

    String line(int row) {
        TerminalSize size = terminal.getTerminalSize();
        StringBuilder out = new StringBuilder();
        for (int col = 0; col < size.getColumns(); col++) {
            out.append(terminal.getCharacter(col, row).getCharacterString());
        }
        return out.toString().stripTrailing();
    }

    @SuppressWarnings("LoopOverCharArray") // a few typed characters: the for-each reads clearest
    void type(String text) {
        for (char c : text.toCharArray()) {
            terminal.addInput(c == '\n' ? new KeyStroke(KeyType.Enter) : new KeyStroke(c, false, false));
        }
    }

    void key(KeyType type) {
        terminal.addInput(new KeyStroke(type));
    }

    void enter() {
        key(KeyType.Enter);
    }

    void ctrl(char c) {
        terminal.addInput(new KeyStroke(c, true, false));
    }

    void alt(char c) {
        terminal.addInput(new KeyStroke(c, false, true));
    }

    /**
     * Waits until the screen matches and has stayed the same for a moment, so the caller reads a whole frame,
     * not one the UI thread is still writing.
     */
    String awaitScreen(Predicate<String> condition) {
        return Await.value(() -> "a matching screen; failure=" + failure.get() + "; screen:\n" + screen(),
                Duration.ofMillis(TIMEOUT_MILLIS), () -> {
                    String s = screen();
                    if (condition.test(s) && s.equals(stable(s))) {
                        return Optional.of(s);
                    }
                    if (failure.get() != null) {
                        throw new AssertionError("screen never matched; failure=" + failure.get() + "; screen:\n" + s);
                    }
                    return Optional.empty();
                });
    }

    private String stable(String before) {
        try {
            Thread.sleep(STABLE_MILLIS); // time is the test: a frame unchanged for this long is whole
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String after = screen();
        return after.equals(before) ? before : after;
    }

    String awaitText(String text) {
        return awaitScreen(s -> s.contains(text));
    }

    void await(BooleanSupplier condition, String what) {
        Await.until(() -> what + "; calls=" + messenger.calls + "; screen:\n" + screen(),
                Duration.ofMillis(TIMEOUT_MILLIS), condition);
    }

    /** Lets the UI loop run a few ticks, for asserting that something did NOT happen. */
    void settle() {
        try {
            Thread.sleep(150); // time is the test: what must NOT happen has no event to await
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean finished() {
        return !ui.isAlive();
    }

    @Override
    public void close() {
        if (ui.isAlive()) {
            ctrl('c');
            try {
                ui.join(TIMEOUT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        assertThat(ui.isAlive()).as("the UI thread ends after Ctrl-C").isFalse();
        assertThat(failure.get()).isNull();
    }
}
