package org.securep2p.app.tui;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.googlecode.lanterna.TerminalTextUtils;
import com.googlecode.lanterna.terminal.ansi.UnixLikeTerminal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lanterna's Unix terminal (the controlling terminal set up with {@code stty}: no line buffering, no echo, Ctrl-C
 * read as a key; its settings restored at close and on exit), set up with one {@code stty} process instead of
 * five. Lanterna's {@code UnixTerminal} runs {@code stty -g}, {@code -icanon}, {@code min 1}, {@code -echo} and
 * {@code intr undef} one after another before the first frame can be drawn; each is a process the JVM spawns, on a
 * 2-core machine where the key manager's JVM starts at the same moment (issue 15's 0.5 s to the menu). Here the
 * settings asked for while the terminal is acquired are collected and applied with the saving of the old ones in
 * one {@code sh -c 'stty -g && stty …'}; any later change (at close) runs at once, as in Lanterna.
 */
final class SttyTerminal extends UnixLikeTerminal {

    private static final Logger LOG = LoggerFactory.getLogger(SttyTerminal.class);

    /** Where Lanterna looks for stty (its system property, so a user's override still holds). */
    private static final String STTY = System.getProperty("com.googlecode.lanterna.terminal.UnixTerminal.sttyCommand",
            "/bin/stty");
    private static final File TTY = new File("/dev/tty");
    /** Settings asked for during {@link #acquire()}, applied together; null once acquired. */
    private List<String> pending;
    private boolean saveRequested;
    private String saved;

    SttyTerminal(InputStream in, OutputStream out, Charset charset, CtrlCBehaviour ctrlC) throws IOException {
        super(in, out, charset, ctrlC);
        pending = new ArrayList<>();
        super.acquire();
        List<String> settings = pending;
        pending = null;
        applyCollected(settings);
    }

    /**
     * Writes a string holding characters outside the BMP (emoji) encoded whole: Lanterna encodes a string one UTF-16
     * unit at a time, and each half of a surrogate pair alone becomes '?'. Other strings go Lanterna's way.
     */
    @Override
    public void putString(String string) throws IOException {
        boolean pairs = false;
        for (int i = 0; i < string.length() && !pairs; i++) {
            pairs = Character.isSurrogate(string.charAt(i));
        }
        if (!pairs) {
            super.putString(string);
            return;
        }
        StringBuilder printable = new StringBuilder(string.length());
        for (int i = 0; i < string.length(); i++) {
            char c = string.charAt(i);
            if (TerminalTextUtils.isPrintableCharacter(c)) {
                printable.append(c);
            }
        }
        writeToTerminal(printable.toString().getBytes(getCharset()));
    }

    /**
     * Nothing: Lanterna's constructor calls this before this class's fields exist; the constructor above acquires
     * the terminal once they do (as Lanterna's own UnixLikeTTYTerminal does).
     */
    @Override
    protected void acquire() {
    }

    private void applyCollected(List<String> settings) throws IOException {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c"));
        if (saveRequested) {
            // The old settings on stdout, then the new ones: one process for the JVM to spawn.
            command.add("\"$0\" -g && \"$0\" \"$@\"");
        } else {
            command.add("\"$0\" \"$@\"");
        }
        command.add(STTY);
        command.addAll(settings);
        String out = run(command);
        if (saveRequested) {
            saved = out.trim();
        }
    }

    @Override
    protected void saveTerminalSettings() throws IOException {
        if (pending != null) {
            saveRequested = true;
        } else {
            saved = run(List.of(STTY, "-g")).trim();
        }
    }

    @Override
    protected void restoreTerminalSettings() throws IOException {
        if (saved != null && !saved.isEmpty()) {
            stty(saved);
        }
    }

    @Override
    protected void keyEchoEnabled(boolean enabled) throws IOException {
        stty(enabled ? "echo" : "-echo");
    }

    @Override
    protected void canonicalMode(boolean enabled) throws IOException {
        if (enabled) {
            stty("icanon");
        } else {
            stty("-icanon", "min", "1");
        }
    }

    @Override
    protected void keyStrokeSignalsEnabled(boolean enabled) throws IOException {
        if (enabled) {
            stty("intr", "^C");
        } else {
            stty("intr", "undef");
        }
    }

    @Override
    protected void registerTerminalResizeListener(Runnable onResize) {
        // SIGWINCH through sun.misc.Signal, reached by reflection as Lanterna's UnixTerminal does: javac warns on
        // every direct use of it, and the program runs on the class path, where jdk.unsupported is readable.
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object onWinch = Proxy.newProxyInstance(SttyTerminal.class.getClassLoader(), new Class<?>[] {handler},
                    (proxy, method, args) -> {
                        if (method.getName().equals("handle")) {
                            onResize.run();
                        }
                        return null;
                    });
            signal.getMethod("handle", signal, handler).invoke(null,
                    signal.getConstructor(String.class).newInstance("WINCH"), onWinch);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // No SIGWINCH here: the size is read at start and whenever the screen asks.
            LOG.debug("no terminal resize signal: {}", e.toString());
        }
    }

    private void stty(String... settings) throws IOException {
        if (pending != null) {
            pending.addAll(List.of(settings));
            return;
        }
        List<String> command = new ArrayList<>(List.of(STTY));
        command.addAll(List.of(settings));
        run(command);
    }

    /** Runs {@code command} on the controlling terminal; its stdout. */
    private static String run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(TTY))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream s = p.getInputStream()) {
            s.transferTo(out);
        }
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while setting up the terminal", e);
        }
        return out.toString(StandardCharsets.US_ASCII);
    }
}
