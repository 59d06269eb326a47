package org.securep2p.app.tui;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.Screen;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.DefaultTerminalFactory;
import com.googlecode.lanterna.terminal.Terminal;
import com.googlecode.lanterna.terminal.ansi.UnixLikeTerminal;

/**
 * The terminal front end: a menu, the wait and connect screens, the chat, and the identity-change dialog,
 * drawn with Lanterna's screen layer by one UI thread. Engine events and the results of blocking calls are
 * queued and applied by that thread; nothing else touches the screen.
 *
 * <p>Not its job: keys, sessions, storage or networking (the {@link Messenger}'s), wiping secrets (the
 * caller's, after {@link #run} returns), or logging configuration (the launcher must send logs to a file,
 * never to the terminal this draws on).
 */
public final class Tui {

    private static final Logger LOG = LoggerFactory.getLogger(Tui.class);

    /** How long the loop waits for an engine event before it looks at the keyboard again. */
    private static final long TICK_MILLIS = 15;
    /** Screens with a running clock are redrawn this often. */
    private static final long CLOCK_REDRAW_MILLIS = 250;
    /** Longest chat input; the engine enforces its own message limit (AppException TOO_LONG). */
    static final int MAX_MESSAGE_INPUT = 8_192;
    /** Longest code or address input; codes are about 200 characters. */
    static final int MAX_CODE_INPUT = 4_096;
    /** Smallest terminal the views are laid out for. */
    static final int MIN_WIDTH = 30;
    /** At most this many rows for a notice; a longer one is cut. */
    static final int NOTICE_ROWS = 3;
    static final int MIN_HEIGHT = 8;

    static final String CODE_BEGIN = "-----BEGIN CONNECTION CODE-----";
    static final String CODE_END = "-----END CONNECTION CODE-----";
    static final String ANSWER_BEGIN = "-----BEGIN ANSWER CODE-----";
    static final String ANSWER_END = "-----END ANSWER CODE-----";

    static final String[] MENU = {"Wait for incoming connection", "Connect to a peer", "Retry STUN discovery",
        "Security level", "Identity", "Peers", "Quit"};

    enum View {
        MENU, WAIT, CONNECT, CHAT, LEVEL, IDENTITY, PEERS
    }

    enum Overlay {
        NONE, VERIFY, PEER_CHANGED, PEER_CHANGED_VERIFY
    }

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

    /** Menu items that need the messenger: Wait, Connect, Retry STUN, Identity, Peers. */
    private static final boolean[] NEEDS_KEYS = {true, true, true, false, true, true, false};

    static final String UNLOCKING = "unlocking keys…";

    private Keys keys = new Unlocking(-1);
    /** Set once, by the UI thread, when the keys are {@link Unlocked}; every use below happens after that. */
    private Messenger messenger;
    private final Screen screen;
    private final Clock clock;
    private final DateTimeFormatter hhmm;
    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    /**
     * One thread, so calls reach the engine in the order the user made them (a wait abandoned with Escape is
     * disconnected before the next wait starts).
     */
    private final ExecutorService control = Executors.newSingleThreadExecutor(daemon("tui-control"));
    /** One thread, so messages reach the engine in the order they were typed. */
    private final ExecutorService sender = Executors.newSingleThreadExecutor(daemon("tui-send"));

    private boolean running = true;
    private boolean clockRunning;
    private View view = View.MENU;
    private Overlay overlay = Overlay.NONE;
    private int menuIndex;
    private int levelIndex = SecurityLevel.DEFAULT.ordinal();
    private SecurityLevel floor = SecurityLevel.DEFAULT;

    private ChatEvent.Ready identity;
    private ChatEvent.Endpoint endpoint;
    private String notice;
    private boolean noticeIsError;

    /** Bumped whenever an attempt starts or is abandoned, so late results of an old one are ignored. */
    private int attempt;
    private Instant attemptStart;
    private final Map<ChatEvent.Stage, ChatEvent.Progress> progress = new EnumMap<>(ChatEvent.Stage.class);
    private boolean waiting;
    private ChatEvent.Endpoint waitCode;
    /** The engine's id of the running wait or connect (for cancel and the answer code), or null. */
    private String attemptId;
    private final LineEditor answerField = new LineEditor(MAX_CODE_INPUT);
    private boolean connecting;
    private final LineEditor codeField = new LineEditor(MAX_CODE_INPUT);
    private String answerCode;

    private ChatLog log = new ChatLog();
    private ChatEvent.Connected conversation;
    private boolean live;
    private boolean verifiedHere;
    private String disconnectText;
    private final LineEditor input = new LineEditor(MAX_MESSAGE_INPUT);
    private int scroll;

    private ChatEvent.PeerChanged pendingChange;
    private boolean decisionInFlight;

    private List<Messenger.PeerInfo> peers;
    private int peerIndex;
    private boolean confirmUntrust;

    private TerminalPosition cursor;

    Tui(Messenger messenger, Screen screen, Clock clock, ZoneId zone) {
        this(CompletableFuture.completedFuture(messenger), screen, clock, zone);
    }

    Tui(CompletionStage<? extends Messenger> messenger, Screen screen, Clock clock, ZoneId zone) {
        this.screen = screen;
        this.clock = clock;
        this.hhmm = DateTimeFormatter.ofPattern("HH:mm").withZone(zone);
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
        Terminal terminal = new DefaultTerminalFactory().setForceTextTerminal(true)
                .setUnixTerminalCtrlCBehaviour(UnixLikeTerminal.CtrlCBehaviour.TRAP).createTerminal();
        try {
            Tui tui = new Tui(messenger, new TerminalScreen(terminal), Clock.systemDefaultZone(), ZoneId.systemDefault());
            tui.floor = floor;
            tui.levelIndex = floor.ordinal();
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
        run(messenger, terminal, Clock.systemDefaultZone(), ZoneId.systemDefault());
    }

    static void run(Messenger messenger, Terminal terminal, Clock clock, ZoneId zone) throws IOException {
        new Tui(messenger, new TerminalScreen(terminal), clock, zone).loop();
    }

    static void run(CompletionStage<? extends Messenger> messenger, Terminal terminal, Clock clock, ZoneId zone)
            throws IOException {
        new Tui(messenger, new TerminalScreen(terminal), clock, zone).loop();
    }

    void loop() throws IOException {
        screen.startScreen();
        try {
            boolean dirty = true;
            boolean resized = false;
            long lastDraw = 0;
            while (running) {
                if (screen.doResizeIfNecessary() != null) {
                    resized = true;
                    dirty = true;
                }
                Runnable task = inbox.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
                while (task != null) {
                    guarded(task);
                    dirty = true;
                    task = inbox.poll();
                }
                List<KeyStroke> keys = new ArrayList<>();
                for (KeyStroke k = screen.pollInput(); k != null; k = screen.pollInput()) {
                    keys.add(k);
                }
                for (int i = 0; i < keys.size() && running; i++) {
                    KeyStroke key = keys.get(i);
                    boolean more = i + 1 < keys.size();
                    guarded(() -> onKey(key, more));
                    dirty = true;
                }
                long now = System.nanoTime();
                if (clockRunning && now - lastDraw > TimeUnit.MILLISECONDS.toNanos(CLOCK_REDRAW_MILLIS)) {
                    dirty = true;
                }
                if (dirty && running) {
                    try {
                        draw(resized);
                    } catch (RuntimeException e) {
                        LOG.error("drawing failed", e);
                    }
                    lastDraw = now;
                    dirty = false;
                    resized = false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            control.shutdownNow();
            sender.shutdownNow();
            try {
                screen.stopScreen();
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

    // ---------------------------------------------------------------- background calls

    @FunctionalInterface
    private interface Call<T> {
        T call() throws AppException;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private <T> void async(Call<T> call, Consumer<T> ok, Consumer<String> failed) {
        submit(control, call, ok, failed);
    }

    /** Runs {@code call} off the UI thread; its outcome comes back through the inbox. */
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

    private void showError(String text) {
        notice = text;
        noticeIsError = true;
    }

    private void showInfo(String text) {
        notice = text;
        noticeIsError = false;
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
            showError("The keys could not be unlocked; press 7, q or Escape to quit.");
            return;
        }
        int queued = keys instanceof Unlocking u ? u.queued() : -1;
        messenger = ready;
        keys = new Unlocked(ready);
        ready.addListener(event -> inbox.add(() -> onEvent(event)));
        async(ready::identity, r -> identity = r, this::showError);
        if (queued >= 0 && view == View.MENU && overlay == Overlay.NONE) {
            choose(queued);
        } else if (notice != null && notice.startsWith(UNLOCKING)) {
            notice = null;
        }
    }

    // ---------------------------------------------------------------- events

    private void onEvent(ChatEvent event) {
        if (event instanceof ChatEvent.Ready r) {
            identity = r;
        } else if (event instanceof ChatEvent.Progress p) {
            progress.put(p.stage(), p);
        } else if (event instanceof ChatEvent.Endpoint e) {
            onEndpoint(e);
        } else if (event instanceof ChatEvent.AnswerCode a) {
            answerCode = a.code();
        } else if (event instanceof ChatEvent.Connected c) {
            onConnected(c);
        } else if (event instanceof ChatEvent.MessageReceived m) {
            Instant t = m.time() == null ? clock.instant() : m.time();
            log.addPeer(t, Text.clean(m.from()), Text.clean(m.text()));
            scroll = 0;
        } else if (event instanceof ChatEvent.Delivered d) {
            log.delivered(d.id());
        } else if (event instanceof ChatEvent.SendFailed f) {
            log.failed(f.id(), Text.clean(f.reason()));
        } else if (event instanceof ChatEvent.PeerChanged pc) {
            pendingChange = pc;
            decisionInFlight = false;
            overlay = Overlay.PEER_CHANGED;
        } else if (event instanceof ChatEvent.Disconnected d) {
            onDisconnected(d);
        } else if (event instanceof ChatEvent.Notice n) {
            showError(Text.clean(n.text()));
            if (view == View.CHAT) {
                log.addSystem(clock.instant(), Text.clean(n.text()));
            }
        } else if (event instanceof ChatEvent.Failure f) {
            showError(Text.clean(f.reason()));
            if (view == View.CONNECT && connecting) {
                connecting = false; // the attempt is over: let the user edit the code and try again
                clockRunning = false;
            }
            if (view == View.CHAT) {
                log.addSystem(clock.instant(), Text.clean(f.reason()));
            }
        }
    }

    private void onEndpoint(ChatEvent.Endpoint e) {
        endpoint = e;
        if (view == View.WAIT && waiting && e.code() != null) {
            waitCode = e;
        }
    }

    private void onConnected(ChatEvent.Connected c) {
        if (conversation == null || !Text.clean(c.peer()).equals(Text.clean(conversation.peer()))) {
            log = new ChatLog();
        }
        conversation = c;
        live = true;
        verifiedHere = false;
        disconnectText = null;
        waiting = false;
        connecting = false;
        clockRunning = false;
        progress.clear();
        notice = null;
        log.addSystem(clock.instant(), "connected to " + Text.clean(c.name()) + " (" + Text.clean(c.path()) + ", "
                + c.level() + (c.resumed() ? ", session resumed" : ", new session") + "; " + c.trust().label() + ")");
        c.certifiedName().ifPresent(name -> log.addSystem(clock.instant(), "Peer ID: " + Text.clean(name)
                + " (certified by your organisation's CA)"));
        view = View.CHAT;
        scroll = 0;
    }

    private void onDisconnected(ChatEvent.Disconnected d) {
        live = false;
        clockRunning = false;
        String words = disconnectWords(d);
        disconnectText = words + (d.undelivered() > 0 ? "; " + plural(d.undelivered(), "message") + " still queued"
                : "");
        if (view == View.CHAT) {
            log.addSystem(clock.instant(), "disconnected: " + disconnectText);
        } else if (waiting || connecting) {
            waiting = false;
            connecting = false;
            attempt++;
            showError("Not connected: " + disconnectText);
        }
    }

    static String disconnectWords(ChatEvent.Disconnected d) {
        String reason = Text.clean(d.reason());
        String detail = reason.isBlank() ? "" : " (" + reason + ")";
        return switch (d.kind()) {
            case PEER_OFFLINE -> "peer offline" + detail;
            case PEER_UNREACHABLE -> "peer unreachable" + detail;
            case REFUSED -> "refused" + detail;
            case LOCAL -> "you ended the conversation";
        };
    }

    private static String plural(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    // ---------------------------------------------------------------- keys

    private void onKey(KeyStroke key, boolean moreInputFollows) {
        KeyType type = key.getKeyType();
        if (type == KeyType.EOF || (type == KeyType.Character && key.isCtrlDown()
                && Character.toLowerCase(key.getCharacter()) == 'c')) {
            running = false;
            return;
        }
        if (overlay != Overlay.NONE) {
            onOverlayKey(key);
            return;
        }
        switch (view) {
            case MENU -> onMenuKey(key);
            case WAIT -> onWaitKey(key, moreInputFollows);
            case CONNECT -> onConnectKey(key, moreInputFollows);
            case CHAT -> onChatKey(key);
            case LEVEL -> onLevelKey(key);
            case IDENTITY -> {
                if (type == KeyType.Escape || isEnter(key)) {
                    view = View.MENU;
                }
            }
            case PEERS -> onPeersKey(key);
        }
    }

    private static boolean isEnter(KeyStroke key) {
        if (key.getKeyType() == KeyType.Enter) {
            return true;
        }
        if (key.getKeyType() != KeyType.Character) {
            return false;
        }
        char c = key.getCharacter();
        return c == '\r' || c == '\n' || (key.isCtrlDown() && (c == 'm' || c == 'j'));
    }

    private static boolean isBackspace(KeyStroke key) {
        return key.getKeyType() == KeyType.Backspace
                || (key.getKeyType() == KeyType.Character && key.isCtrlDown() && key.getCharacter() == 'h');
    }

    /** A plain typed character (not a control combination), or 0. */
    private static char typed(KeyStroke key) {
        if (key.getKeyType() != KeyType.Character || key.isCtrlDown()) {
            return 0;
        }
        char c = key.getCharacter();
        return Character.isISOControl(c) ? 0 : c;
    }

    /** Editing keys common to every field; returns true when the key was one. */
    private static boolean edit(LineEditor field, KeyStroke key) {
        if (isBackspace(key)) {
            field.backspace();
            return true;
        }
        switch (key.getKeyType()) {
            case Delete -> field.delete();
            case ArrowLeft -> field.left();
            case ArrowRight -> field.right();
            case Home -> field.home();
            case End -> field.end();
            case Tab -> field.insert(' ');
            case Character -> {
                char c = typed(key);
                if (c == 0) {
                    return false;
                }
                field.insert(c);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private void onMenuKey(KeyStroke key) {
        char c = typed(key);
        if (c >= '1' && c <= '0' + MENU.length) {
            menuIndex = c - '1';
            choose(menuIndex);
        } else if (key.getKeyType() == KeyType.ArrowUp) {
            menuIndex = (menuIndex + MENU.length - 1) % MENU.length;
        } else if (key.getKeyType() == KeyType.ArrowDown) {
            menuIndex = (menuIndex + 1) % MENU.length;
        } else if (isEnter(key)) {
            choose(menuIndex);
        } else if (key.getKeyType() == KeyType.Escape || c == 'q') {
            running = false;
        }
    }

    private void choose(int item) {
        notice = null;
        if (item < NEEDS_KEYS.length && NEEDS_KEYS[item] && !(keys instanceof Unlocked)) {
            if (keys instanceof Unavailable) {
                showError("The keys could not be unlocked; press 7, q or Escape to quit.");
            } else {
                // Kept, not dropped: the key press is answered as soon as the keys are there.
                keys = new Unlocking(item);
                showInfo(UNLOCKING + " " + MENU[item] + " follows as soon as they are ready.");
            }
            return;
        }
        switch (item) {
            case 0 -> startWait();
            case 1 -> {
                view = View.CONNECT;
                connecting = false;
                answerCode = null;
                progress.clear();
            }
            case 2 -> {
                showInfo("Asking the STUN servers for the public endpoint…");
                async(messenger::discoverEndpoint, e -> {
                    endpoint = e;
                    showInfo("Public endpoint " + Text.clean(e.endpoint()) + ". " + Text.clean(e.natAdvice()));
                }, this::showError);
            }
            case 3 -> {
                view = View.LEVEL;
                levelIndex = floor.ordinal();
            }
            case 4 -> view = View.IDENTITY;
            case 5 -> openPeers();
            default -> running = false;
        }
    }

    private void startWait() {
        view = View.WAIT;
        int mine = ++attempt;
        waiting = true;
        clockRunning = true;
        attemptStart = clock.instant();
        waitCode = null;
        progress.clear();
        answerField.clear();
        SecurityLevel level = floor;
        async(() -> messenger.waitForPeer(level), e -> {
            if (mine == attempt) {
                attemptId = e.attempt();
                onEndpoint(e);
            }
        }, error -> {
            if (mine == attempt) {
                waiting = false;
                clockRunning = false;
                showError(error);
            }
        });
    }

    /** Abandons a running wait or connect and returns to the menu. */
    private void abandonAttempt() {
        if (waiting || connecting) {
            String id = attemptId;
            async(() -> {
                if (id != null) {
                    messenger.cancel(id);
                }
                return null;
            }, x -> { }, this::showError);
        }
        attemptId = null;
        attempt++;
        waiting = false;
        connecting = false;
        clockRunning = false;
        view = View.MENU;
    }

    private void onWaitKey(KeyStroke key, boolean moreInputFollows) {
        if (key.getKeyType() == KeyType.Escape) {
            abandonAttempt();
        } else if (isEnter(key)) {
            if (moreInputFollows) {
                return; // a newline inside a pasted answer code
            }
            String code = answerField.text().replaceAll("\\s+", "");
            if (code.isEmpty()) {
                return;
            }
            showInfo("Adding the answer code…");
            String id = attemptId == null ? "" : attemptId;
            async(() -> {
                messenger.acceptAnswer(id, code);
                return null;
            }, x -> {
                answerField.clear();
                showInfo("Answer code added; waiting for the peer.");
            }, this::showError);
        } else {
            edit(answerField, key);
        }
    }

    private void onConnectKey(KeyStroke key, boolean moreInputFollows) {
        if (key.getKeyType() == KeyType.Escape) {
            abandonAttempt();
        } else if (isEnter(key)) {
            if (moreInputFollows || connecting) {
                return; // a newline inside a pasted code, or a second Enter while connecting
            }
            String code = codeField.text().replaceAll("\\s+", "");
            if (code.isEmpty()) {
                showError("Paste the peer's connection code, or type host:port, first.");
                return;
            }
            int mine = ++attempt;
            connecting = true;
            clockRunning = true;
            attemptStart = clock.instant();
            progress.clear();
            answerCode = null;
            notice = null;
            SecurityLevel level = floor;
            async(() -> messenger.connect(code, level), id -> {
                if (mine == attempt) {
                    attemptId = id;
                }
            }, error -> {
                if (mine == attempt) {
                    connecting = false;
                    clockRunning = false;
                    showError(error);
                }
            });
        } else {
            edit(codeField, key);
        }
    }

    private void onLevelKey(KeyStroke key) {
        SecurityLevel[] levels = SecurityLevel.values();
        char c = typed(key);
        if (c >= '1' && c <= '0' + levels.length) {
            setFloor(levels[c - '1']);
        } else if (key.getKeyType() == KeyType.ArrowUp) {
            levelIndex = (levelIndex + levels.length - 1) % levels.length;
        } else if (key.getKeyType() == KeyType.ArrowDown) {
            levelIndex = (levelIndex + 1) % levels.length;
        } else if (isEnter(key)) {
            setFloor(levels[levelIndex]);
        } else if (key.getKeyType() == KeyType.Escape) {
            view = View.MENU;
        }
    }

    private void setFloor(SecurityLevel level) {
        floor = level;
        view = View.MENU;
        showInfo("Minimum security level: " + level + ". Peers below it are refused.");
    }

    private void openPeers() {
        view = View.PEERS;
        peers = null;
        confirmUntrust = false;
        async(() -> List.copyOf(messenger.peers()), list -> {
            peers = list;
            peerIndex = Math.min(peerIndex, Math.max(0, list.size() - 1));
        }, this::showError);
    }

    private void onPeersKey(KeyStroke key) {
        char c = typed(key);
        if (confirmUntrust) {
            confirmUntrust = false;
            if (c == 'y' || c == 'Y') {
                String fp = peers.get(peerIndex).fingerprint();
                async(() -> {
                    messenger.decide(fp, Messenger.TrustDecision.UNTRUST);
                    return null;
                }, x -> {
                    showInfo("Peer removed from the trust store.");
                    openPeers();
                }, this::showError);
            }
            return;
        }
        if (key.getKeyType() == KeyType.Escape) {
            view = View.MENU;
        } else if (peers == null || peers.isEmpty()) {
            return;
        } else if (key.getKeyType() == KeyType.ArrowUp) {
            peerIndex = Math.max(0, peerIndex - 1);
        } else if (key.getKeyType() == KeyType.ArrowDown) {
            peerIndex = Math.min(peers.size() - 1, peerIndex + 1);
        } else if (c == 'u' || c == 'U') {
            confirmUntrust = true;
        }
    }

    private void onChatKey(KeyStroke key) {
        if (key.getKeyType() == KeyType.PageUp) {
            scroll += 5;
        } else if (key.getKeyType() == KeyType.PageDown) {
            scroll = Math.max(0, scroll - 5);
        } else if (key.getKeyType() == KeyType.Escape) {
            input.clear();
        } else if (isEnter(key)) {
            String text = input.text();
            if (text.isBlank()) {
                return;
            }
            input.clear();
            scroll = 0;
            if (text.startsWith("/")) {
                command(text.trim());
            } else {
                send(text);
            }
        } else {
            edit(input, key);
        }
    }

    private void command(String command) {
        switch (command.toLowerCase(java.util.Locale.ROOT)) {
            case "/verify" -> {
                if (safetyNumber().isEmpty()) {
                    showError("There is no safety number yet: no conversation is open.");
                } else {
                    overlay = Overlay.VERIFY;
                }
            }
            case "/quit" -> {
                String peer = conversation == null ? null : conversation.peer();
                async(() -> {
                    messenger.disconnect(peer);
                    return null;
                }, x -> { }, this::showError);
                conversation = null;
                live = false;
                log = new ChatLog();
                view = View.MENU;
                showInfo("Conversation closed; undelivered messages stay queued.");
            }
            case "/help" -> {
                Instant now = clock.instant();
                log.addSystem(now, "/verify  compare the safety number and mark the peer verified");
                log.addSystem(now, "/quit    end the conversation and return to the menu");
                log.addSystem(now, "/help    this list;  PgUp/PgDn scroll;  Ctrl-C quits the program");
            }
            default -> showError("Unknown command " + Text.fit(Text.clean(command), 20) + "; /help lists them.");
        }
    }

    private void send(String text) {
        if (pendingChange != null) {
            showError(AppException.Reason.PEER_CHANGED.sentence());
            return;
        }
        ChatLog.Entry entry = log.addOwn(clock.instant(), Text.clean(text), !live);
        ChatLog current = log;
        String peer = conversation == null ? null : conversation.peer();
        submit(sender, () -> messenger.send(peer, text), id -> current.bind(entry, id),
                error -> current.failLocally(entry, error));
    }

    private Optional<String> safetyNumber() {
        Optional<String> fromEngine;
        try {
            fromEngine = conversation == null ? Optional.empty() : messenger.safetyNumber(conversation.peer());
        } catch (RuntimeException e) {
            LOG.warn("safetyNumber() failed: {}", e.toString());
            fromEngine = Optional.empty();
        }
        if (fromEngine != null && fromEngine.isPresent() && !Text.digits(fromEngine.get()).isEmpty()) {
            return fromEngine;
        }
        if (conversation != null && !Text.digits(conversation.safetyNumber()).isEmpty()) {
            return Optional.of(conversation.safetyNumber());
        }
        return Optional.empty();
    }

    private void onOverlayKey(KeyStroke key) {
        char c = Character.toLowerCase(typed(key));
        switch (overlay) {
            case VERIFY -> {
                if (c == 'y') {
                    overlay = Overlay.NONE;
                    String peer = conversation == null ? null : conversation.peer();
                    async(() -> {
                        messenger.markVerified(peer);
                        return null;
                    }, x -> {
                        verifiedHere = true;
                        log.addSystem(clock.instant(), "you marked " + peerName() + " as verified");
                    }, this::showError);
                } else if (c == 'n' || key.getKeyType() == KeyType.Escape) {
                    overlay = Overlay.NONE;
                }
            }
            case PEER_CHANGED -> {
                if (decisionInFlight) {
                    return;
                }
                if (c == 'v') {
                    overlay = Overlay.PEER_CHANGED_VERIFY;
                } else if (c == 'a') {
                    decide(Messenger.TrustDecision.ACCEPT);
                } else if (c == 'r') {
                    decide(Messenger.TrustDecision.REJECT);
                }
            }
            case PEER_CHANGED_VERIFY -> {
                if (decisionInFlight) {
                    return;
                }
                if (c == 'y') {
                    decide(Messenger.TrustDecision.VERIFY);
                } else if (c == 'n' || key.getKeyType() == KeyType.Escape) {
                    overlay = Overlay.PEER_CHANGED;
                }
            }
            default -> overlay = Overlay.NONE;
        }
    }

    private void decide(Messenger.TrustDecision decision) {
        ChatEvent.PeerChanged change = pendingChange;
        decisionInFlight = true;
        async(() -> {
            messenger.decide(change.newFingerprint(), decision);
            return null;
        }, x -> {
            decisionInFlight = false;
            if (pendingChange == change) {
                pendingChange = null;
                overlay = Overlay.NONE;
            }
            String who = Text.clean(change.name());
            String what = switch (decision) {
                case ACCEPT -> "accepted the new identity of " + who + " (not verified)";
                case VERIFY -> "verified and accepted the new identity of " + who;
                case REJECT -> "rejected the new identity of " + who;
                case UNTRUST -> "removed " + who + " from the trust store";
            };
            log.addSystem(clock.instant(), "you " + what);
            showInfo("You " + what + ".");
            if (decision == Messenger.TrustDecision.VERIFY) {
                verifiedHere = true;
            }
        }, error -> {
            decisionInFlight = false;
            showError(error);
        });
    }

    private String peerName() {
        return conversation == null ? "the peer" : Text.clean(conversation.name());
    }

    // ---------------------------------------------------------------- drawing

    /** Draws the whole frame; after a resize the old cursor may lie outside it, so it is dropped first. */
    private void draw(boolean resized) throws IOException {
        Screen.RefreshType refresh = resized ? Screen.RefreshType.COMPLETE : Screen.RefreshType.AUTOMATIC;
        TerminalSize size = screen.getTerminalSize();
        int width = size.getColumns();
        int height = size.getRows();
        screen.clear();
        cursor = null;
        screen.setCursorPosition(null);
        TextGraphics g = screen.newTextGraphics();
        if (width < MIN_WIDTH || height < MIN_HEIGHT) {
            g.putString(0, 0, Text.fit("Terminal too small (" + MIN_WIDTH + "x" + MIN_HEIGHT + " needed)", width));
            screen.setCursorPosition(null);
            screen.refresh(refresh);
            return;
        }
        List<String> status = statusLines(width);
        int statusTop = height - status.size();
        // A notice wraps over a few rows: the Retry STUN screen's NAT advice is a whole sentence.
        List<String> noticeRows = notice == null ? List.of() : Text.wrap(notice, width);
        if (noticeRows.size() > NOTICE_ROWS) {
            noticeRows = noticeRows.subList(0, NOTICE_ROWS);
        }
        int contentBottom = statusTop - noticeRows.size();
        Canvas c = new Canvas(g, width, contentBottom);
        switch (overlay) {
            case VERIFY -> drawVerify(c, false);
            case PEER_CHANGED -> drawPeerChanged(c);
            case PEER_CHANGED_VERIFY -> drawVerify(c, true);
            default -> drawView(c);
        }
        if (notice != null) {
            TextGraphics n = screen.newTextGraphics();
            if (noticeIsError) {
                n.setForegroundColor(TextColor.ANSI.RED);
            }
            for (int i = 0; i < noticeRows.size(); i++) {
                n.putString(0, contentBottom + i, Text.fit(noticeRows.get(i), width), SGR.BOLD);
            }
        }
        TextGraphics s = screen.newTextGraphics();
        for (int i = 0; i < status.size(); i++) {
            String line = status.get(i);
            s.putString(0, statusTop + i, line + " ".repeat(Math.max(0, width - line.length())), SGR.REVERSE);
        }
        screen.setCursorPosition(cursor);
        screen.refresh(refresh);
    }

    /** The status bar: level floor, key and memory protection, public endpoint, NAT advice; one or two rows. */
    List<String> statusLines(int width) {
        List<String> parts = new ArrayList<>();
        parts.add("min level " + floor);
        if (identity != null) {
            parts.add("keys: " + Text.clean(identity.keyProtection()));
            parts.add("memory protection: " + Text.clean(identity.memoryProtection()));
        } else {
            parts.add(keys instanceof Unavailable ? "keys: unavailable" : "keys: " + UNLOCKING);
        }
        if (endpoint != null && endpoint.endpoint() != null) {
            parts.add("endpoint " + Text.clean(endpoint.endpoint()));
            if (endpoint.natAdvice() != null && !endpoint.natAdvice().isBlank()) {
                parts.add(Text.clean(endpoint.natAdvice())); // the advice, never the machine-readable kind
            }
        } else {
            parts.add("endpoint unknown");
        }
        List<String> rows = new ArrayList<>();
        StringBuilder row = new StringBuilder();
        for (String p : parts) {
            if (row.length() > 0 && row.length() + 3 + p.length() > width) {
                rows.add(Text.fit(row.toString(), width));
                row.setLength(0);
            }
            row.append(row.length() == 0 ? "" : " | ").append(p);
        }
        rows.add(Text.fit(row.toString(), width));
        return rows.size() > 2 ? rows.subList(rows.size() - 2, rows.size()) : rows;
    }

    private void drawView(Canvas c) {
        switch (view) {
            case MENU -> drawMenu(c);
            case WAIT -> drawWait(c);
            case CONNECT -> drawConnect(c);
            case CHAT -> drawChat(c);
            case LEVEL -> drawLevel(c);
            case IDENTITY -> drawIdentity(c);
            case PEERS -> drawPeers(c);
        }
    }

    private void drawMenu(Canvas c) {
        c.line("securep2p — main menu", SGR.BOLD);
        if (identity != null) {
            c.line("You are " + Text.clean(identity.username()) + " · fingerprint " + Text.clean(identity.fingerprint()));
        } else if (keys instanceof Unavailable) {
            c.line("The keys could not be unlocked:");
        } else {
            c.line(keys instanceof Unlocking ? UNLOCKING : "Loading identity…");
        }
        c.blank();
        for (int i = 0; i < MENU.length; i++) {
            String label = (i == menuIndex ? " > " : "   ") + (i + 1) + "  " + MENU[i]
                    + (i == 3 ? ": " + floor : "");
            if (i == menuIndex) {
                c.line(label, SGR.REVERSE);
            } else {
                c.line(label);
            }
        }
        c.blank();
        c.line("Keys 1-7, or arrows and Enter. Escape or Ctrl-C quits.");
        if (keys instanceof Unavailable u) {
            c.blank();
            for (String line : u.lines()) {
                c.wrapped(line);
            }
        }
    }

    private void drawProgress(Canvas c) {
        if (attemptStart != null && clockRunning) {
            c.line("Elapsed " + elapsed(Duration.between(attemptStart, clock.instant())));
        }
        // A stage lasts until the next one begins (ChatEvent.Progress): show when each began and what it took.
        List<ChatEvent.Progress> stages = new ArrayList<>(progress.values());
        for (int i = 0; i < stages.size(); i++) {
            ChatEvent.Progress p = stages.get(i);
            String took = i + 1 < stages.size()
                    ? "took " + elapsed(stages.get(i + 1).elapsed().minus(p.elapsed())) : "…";
            String detail = p.detail() == null || p.detail().isBlank() ? "" : "  " + Text.clean(p.detail());
            c.line(String.format("  %-9s at %8s  %-12s%s", p.stage(), elapsed(p.elapsed()), took, detail));
        }
    }

    static String elapsed(Duration d) {
        if (d == null || d.isNegative()) {
            return "0.0 s";
        }
        long ms = d.toMillis();
        if (ms < 60_000) {
            return String.format("%d.%d s", ms / 1000, (ms % 1000) / 100);
        }
        return String.format("%d min %02d s", ms / 60_000, (ms % 60_000) / 1000);
    }

    private void drawWait(Canvas c) {
        c.line("Waiting for an incoming connection at level " + floor + " or higher (Escape: stop)", SGR.BOLD);
        drawProgress(c);
        if (waitCode == null) {
            c.line(waiting ? "Gathering candidates (asking the STUN servers)…" : "Not waiting.");
            return;
        }
        String code = Text.clean(waitCode.code());
        c.line("Give the peer this connection code (the lines between the markers, without them):");
        codeBlock(c, CODE_BEGIN, code, CODE_END);
        c.wrapped("Or the plain endpoint: " + Text.clean(waitCode.endpoint()));
        if (waitCode.natAdvice() != null && !waitCode.natAdvice().isBlank()) {
            c.wrapped(Text.clean(waitCode.natAdvice()));
        }
        c.line(waitCode.answerNeeded() ? "The peer will show an answer code: paste it here and press Enter:"
                : "If the peer shows an answer code, paste it here and press Enter:");
        field(c, answerField, 3, true);
        qrIfRoom(c, code, ErrorCorrectionLevel.L);
    }

    /** Code lines hold nothing but the code, so they can be copied from the terminal as they are. */
    private static void codeBlock(Canvas c, String begin, String code, String end) {
        c.line(begin);
        for (String piece : Text.chunk(code, c.width)) {
            c.line(piece);
        }
        c.line(end);
    }

    private static void qrIfRoom(Canvas c, String content, ErrorCorrectionLevel level) {
        List<String> qr;
        try {
            qr = QrBlocks.render(content, level);
        } catch (IllegalArgumentException e) {
            return;
        }
        int size = qr.get(0).length();
        if (size <= c.width && qr.size() + 1 <= c.remaining()) {
            c.blank();
            c.qr(qr, 0);
        } else {
            c.line("(A terminal of " + size + "x" + (c.row + qr.size() + 3) + " would show this as a QR code.)");
        }
    }

    /** A wrapped input field, showing the rows around the cursor. */
    private void field(Canvas c, LineEditor f, int maxRows, boolean focused) {
        int w = Math.max(1, c.width - 2);
        String text = Text.clean(f.text());
        List<String> rows = Text.chunk(text, w);
        int cursorRow = f.cursor() / w;
        if (cursorRow >= rows.size()) {
            rows.add("");
        }
        int first = Math.max(0, cursorRow - maxRows + 1);
        int last = Math.min(rows.size(), first + maxRows);
        for (int r = first; r < last; r++) {
            if (focused && r == cursorRow && c.row < c.limit) {
                cursor = new TerminalPosition(2 + f.cursor() % w, c.row);
            }
            c.line((r == first ? "> " : "  ") + rows.get(r));
        }
    }

    private void drawConnect(Canvas c) {
        c.line("Connect to a peer at level " + floor + " or higher (Escape: back)", SGR.BOLD);
        c.line("Paste the peer's connection code, or type host:port, then press Enter:");
        field(c, codeField, 5, !connecting);
        if (connecting) {
            c.line("Connecting…");
        }
        drawProgress(c);
        if (answerCode != null) {
            c.line("If the peer cannot see you, give them this answer code:");
            codeBlock(c, ANSWER_BEGIN, Text.clean(answerCode), ANSWER_END);
        }
    }

    private void drawChat(Canvas c) {
        ChatEvent.Connected k = conversation;
        String name = k == null ? "?" : Text.clean(k.name());
        String state = live ? "connected" : "disconnected: " + (disconnectText == null ? "" : disconnectText);
        c.line("Chat with " + name + " — " + state, SGR.BOLD);
        if (k != null) {
            String trust = verifiedHere || k.verified() ? ChatEvent.TrustMode.VERIFIED.label()
                    : k.trust() == null ? "" : k.trust().label();
            c.line("path " + Text.clean(k.path()) + " · level " + k.level() + " · " + trust + " · safety "
                    + Text.shortSafety(k.safetyNumber()) + " (/verify)");
            if (k.certifiedName().isPresent()) {
                c.line("Peer ID: " + Text.clean(k.certifiedName().get()) + " (certified by your organisation's CA)");
            }
        }
        if (!live && !progress.isEmpty()) {
            drawProgress(c);
        }
        c.line("─".repeat(c.width));
        int historyRows = c.remaining() - 2;
        List<String> lines = new ArrayList<>();
        for (ChatLog.Entry e : log.entries()) {
            String head = hhmm.format(e.time) + " " + e.sender + ": ";
            String tail = e.kind == ChatLog.Kind.OWN ? "  [" + e.stateLabel() + "]" : "";
            List<String> wrapped = Text.wrap(head + e.text + tail, c.width - 1);
            for (int i = 0; i < wrapped.size(); i++) {
                lines.add(i == 0 ? wrapped.get(i) : "      " + wrapped.get(i));
            }
        }
        int maxScroll = Math.max(0, lines.size() - historyRows);
        scroll = Math.min(scroll, maxScroll);
        int from = Math.max(0, lines.size() - historyRows - scroll);
        int to = Math.min(lines.size(), from + Math.max(0, historyRows));
        c.row = Math.max(c.row, c.limit - 2 - (to - from)); // the newest line sits just above the input
        for (int i = from; i < to; i++) {
            c.line(lines.get(i));
        }
        c.row = Math.max(c.row, c.limit - 2);
        c.line("─".repeat(c.width));
        field(c, input, 1, true);
    }

    private void drawLevel(Canvas c) {
        c.line("Minimum security level (Escape: back)", SGR.BOLD);
        c.line("Connections below this level are refused. Keys 1-3, or arrows and Enter.");
        c.blank();
        String[] about = {"classical X25519/Ed25519, symmetric ratchet: forward secrecy only",
            "classical, HKDF-SHA-512, Double Ratchet with header encryption",
            "hybrid ML-KEM-1024 + X25519, Falcon-1024 + Ed25519, post-quantum ratchet (default)"};
        SecurityLevel[] levels = SecurityLevel.values();
        for (int i = 0; i < levels.length; i++) {
            String label = (i == levelIndex ? " > " : "   ") + (i + 1) + "  " + levels[i]
                    + (levels[i] == floor ? " (current)" : "") + " — " + about[i];
            if (i == levelIndex) {
                c.line(label, SGR.REVERSE);
            } else {
                c.line(label);
            }
        }
    }

    private void drawIdentity(Canvas c) {
        c.line("Your identity (Escape or Enter: back)", SGR.BOLD);
        c.blank();
        if (identity == null) {
            c.line("Loading…");
            return;
        }
        c.line("Username:          " + Text.clean(identity.username()));
        c.wrapped("Fingerprint:       " + Text.clean(identity.fingerprint()));
        c.line("Key protection:    " + Text.clean(identity.keyProtection()));
        c.line("Memory protection: " + Text.clean(identity.memoryProtection()));
        c.wrapped("Peers trusted by:  " + Text.clean(identity.trustModel()));
        c.blank();
        c.wrapped("Peers see this fingerprint; compare it, or the safety number (/verify in a chat), to be sure.");
    }

    private void drawPeers(Canvas c) {
        c.line("Trusted peers (arrows select, u: untrust, Escape: back)", SGR.BOLD);
        c.blank();
        if (peers == null) {
            c.line("Loading…");
            return;
        }
        if (peers.isEmpty()) {
            c.line("No peers yet.");
            return;
        }
        for (int i = 0; i < peers.size(); i++) {
            Messenger.PeerInfo p = peers.get(i);
            String label = (i == peerIndex ? " > " : "   ") + String.join(", ", p.names().stream().map(Text::clean)
                    .toList()) + (p.verified() ? " [verified]" : "") + "  " + Text.clean(p.fingerprint());
            if (i == peerIndex) {
                c.line(label, SGR.REVERSE);
            } else {
                c.line(label);
            }
            c.line("     last seen " + Text.clean(p.lastSeen()) + " at " + Text.clean(p.lastAddress()) + ", first "
                    + Text.clean(p.firstSeen()) + " (" + Text.clean(p.origin()) + ")");
        }
        if (confirmUntrust) {
            c.blank();
            c.line("Forget this peer? y: yes, any other key: no", SGR.BOLD);
        }
    }

    private void drawPeerChanged(Canvas c) {
        ChatEvent.PeerChanged p = pendingChange;
        String who = Text.clean(p.name());
        c.line("!! The identity of " + who + " has changed — sending is blocked until you decide", SGR.BOLD);
        c.blank();
        c.wrapped("Likely causes: " + who + " reinstalled the app or uses a new device. It can also mean someone is"
                + " intercepting the connection (an attack). Compare the safety number with " + who
                + " in person or on a call before you accept.");
        if (p.explanation() != null && !p.explanation().isBlank()) {
            c.wrapped(Text.clean(p.explanation()));
        }
        c.blank();
        c.wrapped("Old fingerprint: " + Text.clean(p.oldFingerprint()));
        c.wrapped("New fingerprint: " + Text.clean(p.newFingerprint()));
        c.blank();
        c.line(decisionInFlight ? "Recording your decision…"
                : "v: verify (show the safety number)   a: accept   r: reject", SGR.BOLD);
    }

    private void drawVerify(Canvas c, boolean forChange) {
        Optional<String> number = safetyNumber();
        String who = forChange && pendingChange != null ? Text.clean(pendingChange.name()) : peerName();
        c.line("Safety number with " + who, SGR.BOLD);
        c.blank();
        if (number.isEmpty()) {
            c.line("No safety number is available yet.");
        } else {
            for (String row : Text.safetyRows(number.get(), 4)) {
                c.line("    " + row);
            }
        }
        c.blank();
        c.wrapped("Compare these " + Text.SAFETY_DIGITS + " digits with " + who
                + " (read them aloud, or scan the QR code). If they match, nobody is in between.");
        c.line(decisionInFlight ? "Recording your decision…"
                : "y: they match, mark " + who + " verified   n or Escape: not now", SGR.BOLD);
        number.ifPresent(n -> qrIfRoom(c, Text.digits(n), ErrorCorrectionLevel.M));
    }
}
