package org.securep2p.app.tui;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.securep2p.app.AppException;
import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.CodeMarkers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.Terminal;
import com.googlecode.lanterna.terminal.ansi.StreamBasedTerminal;
import com.googlecode.lanterna.terminal.ansi.UnixLikeTerminal;

/**
 * The terminal front end's loop: one UI thread reads keys (to the {@link Overlay} if one is up, else to the
 * current {@link Screen}: menu, wait, connect, conversation, level, identity, peers), applies the queued engine
 * events (through {@link Chats}) and the results of blocking calls (run on two executors), then has the
 * {@link Frame} draw. Nothing else touches the terminal. What several screens share (the messenger once the
 * keys are unlocked, the level floor, the identity, the endpoint, the notice) is held here; a screen's own
 * state lives in its class, the conversations in {@link Chats}.
 *
 * <p>Guarantees: the engine is never called on the UI thread (a slow call cannot freeze the keys); messages
 * reach the engine in the order they were typed; a message's text is shown only in its own conversation, never
 * in a notice, the status bar or the log; every text from the engine or the peer is cleaned of control
 * characters before it is drawn; a failure in one key or event is shown as a notice and the loop goes on.
 *
 * <p>Not its job: keys, sessions, storage or networking (the {@link Messenger}'s), wiping secrets (the
 * caller's, after {@link #run} returns), or logging configuration (the launcher must send logs to a file,
 * never to the terminal this draws on).
 */
public final class Tui {

    private static final Logger LOG = LoggerFactory.getLogger(Tui.class);

    /** How long the loop waits for an engine event before it looks at the keyboard again. */
    private static final long TICK_MILLIS = 15;
    /** Room for a full frame of a large terminal (a cell is a few bytes of colour and text). */
    private static final int TERMINAL_BUFFER = 64 * 1024;
    /** Screens with a running clock are redrawn this often. */
    private static final long CLOCK_REDRAW_MILLIS = 250;
    /** A terminal sends a paste at once: this long without a key and a paste whose end never came is over. */
    private static final long PASTE_IDLE_MILLIS = 500;
    /** Longest chat input; the engine enforces its own message limit (AppException TOO_LONG). */
    static final int MAX_MESSAGE_INPUT = 8_192;
    /** Longest code or address input; codes are about 200 characters. */
    static final int MAX_CODE_INPUT = 4_096;
    /** Smallest terminal the views are laid out for. */
    static final int MIN_WIDTH = 30;
    /** At most this many rows for a notice; a longer one is cut. */
    static final int NOTICE_ROWS = 3;
    static final int MIN_HEIGHT = 8;

    /** The marker lines around a code: the transport's parsers skip exactly these when they are pasted too. */
    static final String CODE_BEGIN = CodeMarkers.CONNECTION_BEGIN;
    static final String CODE_END = CodeMarkers.CONNECTION_END;
    static final String ANSWER_BEGIN = CodeMarkers.ANSWER_BEGIN;
    static final String ANSWER_END = CodeMarkers.ANSWER_END;
    /** What {@link #copy} says it did: the terminal may ignore OSC 52, and nothing tells us whether it did. */
    static final String COPIED = "to the clipboard (if your terminal allows OSC 52; in tmux: set-clipboard on).";

    /**
     * Where the keys are, the one lifecycle behind every action that needs them: the menu is up while the key
     * manager starts, and an action chosen meanwhile waits in {@link Unlocking} until the messenger arrives.
     */
    sealed interface Keys {
    }

    /** The key manager is starting; {@code queued} is the menu item chosen meanwhile, or -1. */
    record Unlocking(int queued) implements Keys {
    }

    /** The messenger is ready. */
    record Unlocked(Messenger messenger) implements Keys {
    }

    /** The start failed; {@code lines} say why, as the program prints them on exit. */
    record Unavailable(List<String> lines) implements Keys {
        Unavailable {
            lines = List.copyOf(lines);
        }
    }

    static final String UNLOCKING = "unlocking keys…";

    private Keys keys = new Unlocking(-1);
    /** Set once, by the UI thread, when the keys are {@link Unlocked}; every use below happens after that. */
    private Messenger messenger;
    private final com.googlecode.lanterna.screen.Screen terminal;
    private final Clock clock;
    final DateTimeFormatter hhmm;
    /** For a time on another day than today: "22 Nov". */
    final DateTimeFormatter dayMonth;
    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    /**
     * One thread, so calls reach the engine in the order the user made them (a wait abandoned with Escape is
     * disconnected before the next wait starts).
     */
    private final ExecutorService control = Executors.newSingleThreadExecutor(daemon("tui-control"));
    /** One thread, so messages reach the engine in the order they were typed. */
    private final ExecutorService sender = Executors.newSingleThreadExecutor(daemon("tui-send"));

    private boolean running = true;
    /**
     * The terminal's own byte stream, for what Lanterna has no call for (OSC 52, bracketed paste); null on a
     * terminal that is not one (a virtual one in most tests), where copying says it cannot.
     */
    private OutputStream rawOut;
    /** Between the edges of a bracketed paste: every key is pasted text. */
    private boolean pasting;
    /** When the last key came, so a paste whose end edge was lost does not swallow every later Enter. */
    private long lastKeyNanos;
    /** The last key was Escape: a second one leaves a conversation for the menu. */
    private boolean escapeBefore;
    /** Run once after the first frame is drawn (then nothing). */
    private Runnable firstFrameDrawn = () -> { };
    private final MenuScreen menu = new MenuScreen(this);
    private Screen screen = menu;
    /** The dialog over {@link #screen}, if any. */
    private Optional<Overlay> overlay = Optional.empty();
    /** Dialogs that arrived while a question was up, oldest first; each comes up when the one before closes. */
    private final java.util.ArrayDeque<Overlay> overlaysBehind = new java.util.ArrayDeque<>();
    private SecurityLevel floor = SecurityLevel.DEFAULT;

    private ChatEvent.Ready identity;
    private ChatEvent.Endpoint endpoint;
    private String notice;
    private boolean noticeIsError;

    private final Chats chats = new Chats(this);
    /** The user's home, written {@code ~} in paths typed and shown. */
    private final Path userHome = Path.of(System.getProperty("user.home", "/"));
    private final PathInput paths = new PathInput(userHome, Path.of("").toAbsolutePath());
    /** Ring the terminal bell when a message arrives in a conversation that is not shown. */
    private boolean bell;

    Tui(Messenger messenger, com.googlecode.lanterna.screen.Screen terminal, Clock clock, ZoneId zone) {
        this(CompletableFuture.completedFuture(messenger), terminal, clock, zone);
    }

    Tui(CompletionStage<? extends Messenger> messenger, com.googlecode.lanterna.screen.Screen terminal, Clock clock,
            ZoneId zone) {
        this.terminal = terminal;
        this.clock = clock;
        this.hhmm = DateTimeFormatter.ofPattern("HH:mm").withZone(zone);
        this.dayMonth = DateTimeFormatter.ofPattern("d MMM", Locale.ENGLISH).withZone(zone);
        messenger.whenComplete((m, failure) -> inbox.add(() -> onKeys(m, failure)));
    }

    /**
     * Runs the TUI on the process's own terminal until the user quits, then closes the messenger. Ctrl-C is
     * read as a key (not a signal), so quitting through it also closes the messenger and restores the terminal.
     */
    public static void run(Messenger messenger) throws IOException {
        run(messenger, SecurityLevel.DEFAULT);
    }

    /** As {@link #run(Messenger)}, starting with {@code floor} as the chosen minimum level. */
    public static void run(Messenger messenger, SecurityLevel floor) throws IOException {
        run(CompletableFuture.completedFuture(messenger), floor);
    }

    /**
     * As {@link #run(Messenger, SecurityLevel)}, with the menu drawn at once and the messenger arriving later:
     * actions that need it show {@value #UNLOCKING} until it does, then proceed. If {@code messenger} fails, the
     * menu shows why (an {@link AppException}'s detail, one line each) and the user can only quit.
     */
    public static void run(CompletionStage<? extends Messenger> messenger, SecurityLevel floor) throws IOException {
        run(messenger, floor, false);
    }

    /**
     * As {@link #run(CompletionStage, SecurityLevel)}; with {@code bell} (profile.properties {@code tui.bell=true})
     * the terminal bell rings when a message arrives in a conversation that is not on the screen.
     */
    public static void run(CompletionStage<? extends Messenger> messenger, SecurityLevel floor, boolean bell)
            throws IOException {
        run(messenger, floor, bell, () -> { });
    }

    /**
     * As {@link #run(CompletionStage, SecurityLevel, boolean)}; {@code firstFrameDrawn} runs once, on the TUI's
     * thread, right after the first frame is on the terminal.
     */
    public static void run(CompletionStage<? extends Messenger> messenger, SecurityLevel floor, boolean bell,
            Runnable firstFrameDrawn) throws IOException {
        // What DefaultTerminalFactory makes on Unix, set up with one stty process and writing through a buffer
        // (SttyTerminal and TerminalOutput say why); the charset is the one the factory would take.
        TerminalOutput out = new TerminalOutput(new FileOutputStream(FileDescriptor.out), TERMINAL_BUFFER);
        SttyTerminal terminal = new SttyTerminal(System.in, out, Charset.defaultCharset(),
                UnixLikeTerminal.CtrlCBehaviour.TRAP);
        try {
            Tui tui = new Tui(messenger, new TerminalScreen(terminal), Clock.systemUTC(), ZoneId.systemDefault());
            tui.attach(terminal, out);
            tui.floor = floor;
            tui.bell = bell;
            tui.firstFrameDrawn = firstFrameDrawn;
            tui.loop();
        } finally {
            terminal.close();
        }
    }

    /**
     * Runs the TUI on {@code terminal} until the user quits (menu item 7, Escape on the menu, Ctrl-C, or end of
     * input), then closes the messenger. The terminal stays open; the caller closes it.
     */
    public static void run(Messenger messenger, Terminal terminal) throws IOException {
        run(messenger, terminal, Clock.systemUTC(), ZoneId.systemDefault());
    }

    static void run(Messenger messenger, Terminal terminal, Clock clock, ZoneId zone) throws IOException {
        new Tui(messenger, new TerminalScreen(terminal), clock, zone).loop();
    }

    static void run(CompletionStage<? extends Messenger> messenger, Terminal terminal, Clock clock, ZoneId zone)
            throws IOException {
        new Tui(messenger, new TerminalScreen(terminal), clock, zone).loop();
    }

    /** For tests: with {@code firstFrameDrawn} as in {@link #run(CompletionStage, SecurityLevel, boolean, Runnable)}. */
    static void run(CompletionStage<? extends Messenger> messenger, Terminal terminal, Clock clock, ZoneId zone,
            Runnable firstFrameDrawn) throws IOException {
        Tui tui = new Tui(messenger, new TerminalScreen(terminal), clock, zone);
        tui.firstFrameDrawn = firstFrameDrawn;
        tui.loop();
    }

    /**
     * For tests: with {@code control} as the terminal's byte stream (what {@link #copy} and bracketed paste
     * write to), and {@link KeyInput#PASTE_EDGES} read if {@code terminal} decodes bytes.
     */
    static void run(Messenger messenger, Terminal terminal, Clock clock, ZoneId zone, OutputStream control)
            throws IOException {
        Tui tui = new Tui(messenger, new TerminalScreen(terminal), clock, zone);
        tui.attach(terminal, control);
        tui.loop();
    }

    /** Reads bracketed pastes from {@code terminal} and writes control sequences to {@code out}. */
    private void attach(Terminal terminal, OutputStream out) {
        if (terminal instanceof StreamBasedTerminal s) {
            s.getInputDecoder().addProfile(KeyInput.PASTE_EDGES);
        }
        rawOut = out;
    }

    /** For tests: with the bell on or off. */
    static void run(Messenger messenger, Terminal terminal, Clock clock, ZoneId zone, boolean bell)
            throws IOException {
        Tui tui = new Tui(messenger, new TerminalScreen(terminal), clock, zone);
        tui.bell = bell;
        tui.loop();
    }

    void loop() throws IOException {
        terminal.startScreen();
        sendControl(KeyInput.BRACKETED_PASTE_ON);
        try {
            boolean dirty = true;
            boolean resized = false;
            long lastDraw = 0;
            while (running) {
                if (terminal.doResizeIfNecessary() != null) {
                    resized = true;
                    dirty = true;
                }
                // A screen waiting to be drawn (the first frame, the answer to a key) is drawn without the tick's wait.
                Runnable task = dirty ? inbox.poll() : inbox.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
                while (task != null) {
                    guarded(task);
                    dirty = true;
                    task = inbox.poll();
                }
                List<KeyStroke> typed = new ArrayList<>();
                for (KeyStroke k = terminal.pollInput(); k != null; k = terminal.pollInput()) {
                    typed.add(k);
                }
                long now = System.nanoTime();
                if (!typed.isEmpty()) {
                    lastKeyNanos = now;
                } else if (pasting && now - lastKeyNanos > TimeUnit.MILLISECONDS.toNanos(PASTE_IDLE_MILLIS)) {
                    pasting = false;
                }
                for (int i = 0; i < typed.size() && running; i++) {
                    KeyStroke key = typed.get(i);
                    boolean more = i + 1 < typed.size() || pasting;
                    guarded(() -> onKey(key, more));
                    dirty = true;
                }
                if (screen.ticking() && now - lastDraw > TimeUnit.MILLISECONDS.toNanos(CLOCK_REDRAW_MILLIS)) {
                    dirty = true;
                }
                if (dirty && running) {
                    try {
                        Frame.draw(this, terminal, resized);
                    } catch (RuntimeException e) {
                        LOG.error("drawing failed", e);
                    }
                    lastDraw = now;
                    dirty = false;
                    resized = false;
                    Runnable once = firstFrameDrawn;
                    firstFrameDrawn = () -> { };
                    once.run();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            control.shutdownNow();
            sender.shutdownNow();
            try {
                sendControl(KeyInput.BRACKETED_PASTE_OFF);
                terminal.stopScreen();
            } finally {
                try {
                    if (messenger != null) {
                        messenger.close();
                    }
                } catch (RuntimeException e) {
                    LOG.warn("closing the messenger failed: {}", e.toString());
                }
            }
        }
    }

    /** A failure in one key or event must not leave the terminal in raw mode with a stack trace on it. */
    private void guarded(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.error("TUI error", e);
            showError("Internal error (" + e.getClass().getSimpleName() + "); details are in the log.");
        }
    }

    // ---------------------------------------------------------------- what the screens share

    /** A blocking engine call. */
    @FunctionalInterface
    interface Call<T> {
        T call() throws AppException;
    }

    /** A blocking engine call without a result. */
    @FunctionalInterface
    interface Action {
        void run() throws AppException;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Runs {@code call} on the control thread; its outcome comes back through the inbox, to the UI thread. */
    <T> void async(Call<T> call, Consumer<T> ok, Consumer<String> failed) {
        submit(control, call, ok, failed);
    }

    /** As {@link #async}, for a call without a result; a failure is shown as the notice. */
    void async(Action action, Runnable ok) {
        async(() -> {
            action.run();
            return null;
        }, x -> ok.run(), this::showError);
    }

    /** Runs {@code call} on the send thread, which keeps messages in the order they were typed. */
    <T> void sendAsync(Call<T> call, Consumer<T> ok, Consumer<String> failed) {
        submit(sender, call, ok, failed);
    }

    private <T> void submit(ExecutorService executor, Call<T> call, Consumer<T> ok, Consumer<String> failed) {
        executor.execute(() -> {
            try {
                T result = call.call();
                inbox.add(() -> ok.accept(result));
            } catch (AppException e) {
                inbox.add(() -> failed.accept(Text.clean(e.getMessage())));
            } catch (RuntimeException e) {
                LOG.error("messenger call failed", e);
                inbox.add(() -> failed.accept("Internal error (" + e.getClass().getSimpleName()
                        + "); details are in the log."));
            }
        });
    }

    /** The messenger; only screens reached after the keys are {@link Unlocked} call this. */
    Messenger messenger() {
        return messenger;
    }

    Keys keys() {
        return keys;
    }

    Clock clock() {
        return clock;
    }

    Instant now() {
        return clock.instant();
    }

    /** "14:05" today, "22 Nov" on another day, in the user's zone. */
    String when(Instant t) {
        String day = dayMonth.format(t);
        return day.equals(dayMonth.format(now())) ? hhmm.format(t) : day;
    }

    SecurityLevel floor() {
        return floor;
    }

    void setFloor(SecurityLevel level) {
        floor = level;
    }

    ChatEvent.Ready identity() {
        return identity;
    }

    void setIdentity(ChatEvent.Ready r) {
        identity = r;
    }

    ChatEvent.Endpoint endpoint() {
        return endpoint;
    }

    void setEndpoint(ChatEvent.Endpoint e) {
        endpoint = e;
    }

    String notice() {
        return notice;
    }

    boolean noticeIsError() {
        return noticeIsError;
    }

    Optional<Overlay> overlay() {
        return overlay;
    }

    Chats chats() {
        return chats;
    }

    Path userHome() {
        return userHome;
    }

    /** Reads and completes the paths {@code /send} takes. */
    PathInput paths() {
        return paths;
    }

    /** Rings the terminal bell if the user asked for it ({@code tui.bell=true}). */
    void ringIfAsked() {
        if (!bell) {
            return;
        }
        try {
            if (terminal instanceof TerminalScreen ts) {
                ts.getTerminal().bell();
            }
        } catch (IOException e) {
            LOG.debug("bell failed: {}", e.toString());
        }
    }

    /**
     * Puts {@code text} on the system clipboard through the terminal (OSC 52: {@code ESC ] 52 ; c ; base64 BEL},
     * which most terminals and tmux with {@code set-clipboard on} understand) and says so in the notice. The text
     * goes base64-encoded, so nothing in it can reach the terminal as a control sequence.
     */
    void copy(String what, String text) {
        if (rawOut == null) {
            showError("This terminal cannot be written to directly: select the " + what + " with the mouse.");
            return;
        }
        if (sendControl(osc52(text))) {
            showInfo("Copied the " + what + " " + COPIED);
        } else {
            showError("Copying failed; select the " + what + " with the mouse.");
        }
    }

    /** The OSC 52 sequence that sets the clipboard ({@code c}) to {@code text}. */
    static String osc52(String text) {
        return "\u001b]52;c;" + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)) + "\u0007";
    }

    /**
     * Writes a control sequence straight to the terminal's byte stream, flushed, between two frames (the UI thread
     * is the only writer); false when there is no such stream or it failed.
     */
    private boolean sendControl(String sequence) {
        if (rawOut == null) {
            return false;
        }
        try {
            rawOut.write(sequence.getBytes(StandardCharsets.US_ASCII));
            rawOut.flush();
            return true;
        } catch (IOException e) {
            LOG.warn("writing to the terminal failed: {}", e.toString());
            return false;
        }
    }

    void showError(String text) {
        notice = text;
        noticeIsError = true;
    }

    void showInfo(String text) {
        notice = text;
        noticeIsError = false;
    }

    void clearNotice() {
        notice = null;
    }

    void show(Screen next) {
        screen = next;
    }

    void showMenu() {
        screen = menu;
    }

    Screen screen() {
        return screen;
    }

    /** Shows {@code o}; behind the question up now if the engine waits on that one's answer. */
    void openOverlay(Overlay o) {
        if (overlay.isPresent() && overlay.get().asksTheEngine()) {
            overlaysBehind.add(o);
            return;
        }
        overlay = Optional.of(o);
    }

    /** Closes {@code o} if it is still the one up (a newer dialog may have replaced it meanwhile). */
    void closeOverlay(Overlay o) {
        if (overlay.isPresent() && overlay.get() == o) {
            overlay = Optional.ofNullable(overlaysBehind.poll());
        } else {
            overlaysBehind.remove(o);
        }
    }

    void quit() {
        running = false;
    }

    // ---------------------------------------------------------------- keys

    /** The key manager's start ended: the messenger arrived, or the reason it will not. */
    private void onKeys(Messenger ready, Throwable failure) {
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            List<String> lines = cause instanceof AppException e && e.reason() == AppException.Reason.START_FAILED
                    ? e.detail().lines().map(Text::clean).toList()
                    : List.of("securep2p: start-up failed: " + Text.clean(String.valueOf(cause.getMessage())));
            keys = new Unavailable(lines);
            showError(MenuScreen.UNAVAILABLE);
            return;
        }
        int queued = keys instanceof Unlocking u ? u.queued() : -1;
        messenger = ready;
        keys = new Unlocked(ready);
        ready.addListener(event -> inbox.add(() -> chats.onEvent(event)));
        async(ready::identity, r -> identity = r, this::showError);
        chats.refreshConversations();
        chats.refreshTransfers();
        if (queued >= 0 && screen == menu && overlay.isEmpty()) {
            menu.choose(queued);
        } else if (notice != null && notice.startsWith(UNLOCKING)) {
            notice = null;
        }
    }

    /** Marks {@code item} as chosen while the keys unlock: it is carried out as soon as they are ready. */
    void queueUntilUnlocked(int item) {
        keys = new Unlocking(item);
    }

    private void onKey(KeyStroke key, boolean moreInputFollows) {
        if (key.getKeyType() == KeyType.EOF || KeyInput.isCtrl(key, 'c')) {
            running = false;
            return;
        }
        if (key instanceof KeyInput.PasteEdge edge) {
            pasting = edge.start();
            return;
        }
        boolean escapeAgain = escapeBefore && KeyInput.isEscape(key) && !pasting;
        escapeBefore = KeyInput.isEscape(key) && !escapeAgain;
        if (escapeAgain && overlay.isEmpty() && screen instanceof ConversationScreen) {
            showMenu(); // Esc Esc: the first cleared the input line, the second leaves
            return;
        }
        if (overlay.isPresent()) {
            overlay.get().onKey(key);
            return;
        }
        if (chats.switchKey(key)) {
            return;
        }
        screen.onKey(key, moreInputFollows);
    }

}
