package org.securep2p.app.tui;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
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

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.DefaultTerminalFactory;
import com.googlecode.lanterna.terminal.Terminal;
import com.googlecode.lanterna.terminal.ansi.UnixLikeTerminal;

/**
 * The terminal front end's loop: one UI thread reads keys and applies queued engine events and the results of
 * blocking calls, then draws the current {@link Screen} (menu, wait, connect, conversation, level, identity,
 * peers) or the {@link Overlay} above it, with the notice rows and the status bar. Nothing else touches the
 * terminal. What several screens share (the messenger once the keys are unlocked, the level floor, the
 * identity, the endpoint, the notice) is held here; a screen's own state lives in its class.
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
    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    /**
     * One thread, so calls reach the engine in the order the user made them (a wait abandoned with Escape is
     * disconnected before the next wait starts).
     */
    private final ExecutorService control = Executors.newSingleThreadExecutor(daemon("tui-control"));
    /** One thread, so messages reach the engine in the order they were typed. */
    private final ExecutorService sender = Executors.newSingleThreadExecutor(daemon("tui-send"));

    private boolean running = true;
    private final MenuScreen menu = new MenuScreen(this);
    private Screen screen = menu;
    /** The dialog over {@link #screen}, if any. */
    private Optional<Overlay> overlay = Optional.empty();
    private SecurityLevel floor = SecurityLevel.DEFAULT;

    private ChatEvent.Ready identity;
    private ChatEvent.Endpoint endpoint;
    private String notice;
    private boolean noticeIsError;

    private final Conversations conversations = new Conversations();
    /** The wait and connect screens whose attempt runs, oldest first, whether they are shown or not. */
    private final List<Screen> attempts = new ArrayList<>();
    /** Identity changes the user has not decided yet: sending to the peer they concern is blocked meanwhile. */
    private final List<ChatEvent.PeerChanged> undecided = new ArrayList<>();
    private boolean refreshing;
    private boolean refreshAgain;
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
        Terminal terminal = new DefaultTerminalFactory().setForceTextTerminal(true)
                .setUnixTerminalCtrlCBehaviour(UnixLikeTerminal.CtrlCBehaviour.TRAP).createTerminal();
        try {
            Tui tui = new Tui(messenger, new TerminalScreen(terminal), Clock.systemDefaultZone(), ZoneId.systemDefault());
            tui.floor = floor;
            tui.bell = bell;
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

    /** For tests: with the bell on or off. */
    static void run(Messenger messenger, Terminal terminal, Clock clock, ZoneId zone, boolean bell)
            throws IOException {
        Tui tui = new Tui(messenger, new TerminalScreen(terminal), clock, zone);
        tui.bell = bell;
        tui.loop();
    }

    void loop() throws IOException {
        terminal.startScreen();
        try {
            boolean dirty = true;
            boolean resized = false;
            long lastDraw = 0;
            while (running) {
                if (terminal.doResizeIfNecessary() != null) {
                    resized = true;
                    dirty = true;
                }
                Runnable task = inbox.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
                while (task != null) {
                    guarded(task);
                    dirty = true;
                    task = inbox.poll();
                }
                List<KeyStroke> typed = new ArrayList<>();
                for (KeyStroke k = terminal.pollInput(); k != null; k = terminal.pollInput()) {
                    typed.add(k);
                }
                for (int i = 0; i < typed.size() && running; i++) {
                    KeyStroke key = typed.get(i);
                    boolean more = i + 1 < typed.size();
                    guarded(() -> onKey(key, more));
                    dirty = true;
                }
                long now = System.nanoTime();
                if (screen.ticking() && now - lastDraw > TimeUnit.MILLISECONDS.toNanos(CLOCK_REDRAW_MILLIS)) {
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

    SecurityLevel floor() {
        return floor;
    }

    void setFloor(SecurityLevel level) {
        floor = level;
    }

    ChatEvent.Ready identity() {
        return identity;
    }

    void setEndpoint(ChatEvent.Endpoint e) {
        endpoint = e;
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

    void openOverlay(Overlay o) {
        overlay = Optional.of(o);
    }

    /** Closes {@code o} if it is still the one up (a newer dialog may have replaced it meanwhile). */
    void closeOverlay(Overlay o) {
        if (overlay.isPresent() && overlay.get() == o) {
            overlay = Optional.empty();
        }
    }

    void quit() {
        running = false;
    }

    Conversations conversations() {
        return conversations;
    }

    /** A wait or connect now runs: events about its attempt go to {@code attemptScreen} wherever the user is. */
    void attemptStarted(Screen attemptScreen) {
        if (!attempts.contains(attemptScreen)) {
            attempts.add(attemptScreen);
        }
    }

    void attemptEnded(Screen attemptScreen) {
        attempts.remove(attemptScreen);
    }

    /** The screen running engine attempt {@code id}; the newest whose id is not known yet if none has it. */
    private Optional<Screen> attemptScreen(String id) {
        Screen adopter = null;
        for (Screen s : attempts) {
            boolean owns = s instanceof WaitScreen w ? w.owns(id) : s instanceof ConnectScreen c && c.owns(id);
            if (owns) {
                adopter = s;
            }
        }
        return Optional.ofNullable(adopter);
    }

    /** Shows {@code c}: marks it read, and reads its newest history page the first time. */
    void open(Conversation c) {
        screen = new ConversationScreen(this, c);
        c.scroll = 0;
        markRead(c);
        if (c.history instanceof Conversation.Unread) {
            readPage(c, Optional.empty());
        }
    }

    /** The conversation up on the screen, if one is. */
    Optional<Conversation> shown() {
        return screen instanceof ConversationScreen s ? Optional.of(s.conversation()) : Optional.empty();
    }

    private void markRead(Conversation c) {
        boolean hadUnread = c.unread() > 0;
        c.readLocally();
        if (hadUnread || c.info == null) {
            async(() -> messenger.markRead(c.peer), () -> { });
        }
    }

    /** PgUp reached the oldest line loaded: reads the page before it, if there is one. */
    void readOlder(Conversation c) {
        if (c.history instanceof Conversation.ReadTo r) {
            readPage(c, Optional.of(r.oldest()));
        } else if (c.history instanceof Conversation.Unread) {
            readPage(c, Optional.empty());
        }
    }

    private void readPage(Conversation c, Optional<Long> before) {
        c.history = new Conversation.Loading(before);
        async(() -> List.copyOf(messenger.history(c.peer, before, ConversationScreen.HISTORY_PAGE)), page -> {
            c.log.prepend(page, c.name());
            if (page.isEmpty() || page.size() < ConversationScreen.HISTORY_PAGE || c.log.full()) {
                c.history = new Conversation.Complete();
            } else {
                c.history = new Conversation.ReadTo(page.get(0).position());
            }
        }, error -> {
            c.history = before.<Conversation.History>map(Conversation.ReadTo::new).orElseGet(Conversation.Unread::new);
            showError(error);
        });
    }

    /** Reads the engine's conversation list again; one read at a time, a change meanwhile reads once more. */
    void refreshConversations() {
        if (refreshing) {
            refreshAgain = true;
            return;
        }
        refreshing = true;
        async(() -> List.copyOf(messenger.conversations()), list -> {
            conversations.update(list);
            shown().ifPresent(Conversation::readLocally); // shown means read, whatever the list said a moment ago
            afterRefresh();
        }, error -> {
            LOG.warn("conversations() failed: {}", error);
            afterRefresh();
        });
    }

    private void afterRefresh() {
        refreshing = false;
        if (refreshAgain) {
            refreshAgain = false;
            refreshConversations();
        }
    }

    /** The safety number with {@code c}: the engine's, or the one its last Connected event carried. */
    Optional<String> safetyNumber(Conversation c) {
        Optional<String> fromEngine = safetyNumber(c.peer);
        return fromEngine.isPresent() ? fromEngine : c.safetyNumber();
    }

    /** The engine's safety number with {@code peer} (a fingerprint), if it has one. */
    Optional<String> safetyNumber(String peer) {
        Optional<String> fromEngine;
        try {
            fromEngine = messenger.safetyNumber(peer);
        } catch (RuntimeException e) {
            LOG.warn("safetyNumber() failed: {}", e.toString());
            fromEngine = Optional.empty();
        }
        return fromEngine != null && fromEngine.isPresent() && !Text.digits(fromEngine.get()).isEmpty()
                ? fromEngine : Optional.empty();
    }

    /**
     * True while an identity change of the peer of {@code c} is undecided: the change names the conversation's
     * fingerprint (old or new identity) or its name (the engine names the new identity's set-up by the name
     * the peer presented).
     */
    boolean blocked(Conversation c) {
        return undecided.stream().anyMatch(pc -> concerns(pc, c));
    }

    static boolean concerns(ChatEvent.PeerChanged pc, Conversation c) {
        String fp = Text.clean(c.peer).replace(" ", "");
        return fp.equalsIgnoreCase(Text.clean(pc.oldFingerprint()).replace(" ", ""))
                || fp.equalsIgnoreCase(Text.clean(pc.newFingerprint()).replace(" ", ""))
                || c.name().equalsIgnoreCase(Text.clean(pc.name()));
    }

    /** The user decided about {@code pc}; returns the conversations it concerned. */
    List<Conversation> decided(ChatEvent.PeerChanged pc) {
        undecided.remove(pc);
        return conversations.ordered().stream().filter(c -> concerns(pc, c)).toList();
    }

    /** Alt+1..9 opens conversation n; Ctrl+N and Ctrl+P the next and previous one. True if {@code key} was one. */
    private boolean switchKey(KeyStroke key) {
        if (!(keys instanceof Unlocked) || key.getKeyType() != KeyType.Character) {
            return false;
        }
        List<Conversation> all = conversations.ordered();
        char ch = key.getCharacter();
        if (key.isAltDown() && !key.isCtrlDown() && ch >= '1' && ch <= '9') {
            int n = ch - '1';
            if (n < all.size()) {
                open(all.get(n));
            } else {
                showError("There is no conversation " + (n + 1) + (all.isEmpty() ? " yet." : "; there are "
                        + all.size() + "."));
            }
            return true;
        }
        boolean next = KeyInput.isCtrl(key, 'n');
        if (!next && !KeyInput.isCtrl(key, 'p')) {
            return false;
        }
        if (all.isEmpty()) {
            showError("No conversations yet: Wait (1) or Connect (2) starts one.");
            return true;
        }
        int at = shown().map(all::indexOf).orElse(-1);
        int to = at < 0 ? (next ? 0 : all.size() - 1) : Math.floorMod(at + (next ? 1 : -1), all.size());
        open(all.get(to));
        return true;
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
        ready.addListener(event -> inbox.add(() -> onEvent(event)));
        async(ready::identity, r -> identity = r, this::showError);
        refreshConversations();
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
        if (overlay.isPresent()) {
            overlay.get().onKey(key);
            return;
        }
        if (switchKey(key)) {
            return;
        }
        screen.onKey(key, moreInputFollows);
    }

    // ---------------------------------------------------------------- events

    private void onEvent(ChatEvent event) {
        if (event instanceof ChatEvent.Ready r) {
            identity = r;
        } else if (event instanceof ChatEvent.Endpoint e) {
            if (e.endpoint() != null) {
                endpoint = e;
            }
            attemptScreen(e.attempt()).ifPresent(s -> s.onEvent(e));
        } else if (event instanceof ChatEvent.Progress p) {
            attemptScreen(p.attempt()).ifPresent(s -> s.onEvent(p));
        } else if (event instanceof ChatEvent.AnswerCode a) {
            attemptScreen(a.attempt()).ifPresent(s -> s.onEvent(a));
        } else if (event instanceof ChatEvent.Failure f) {
            showError(Text.clean(f.reason()));
            Optional<Screen> owner = f.attempt() == null || f.attempt().isEmpty() ? Optional.empty()
                    : attemptScreen(f.attempt());
            owner.ifPresentOrElse(s -> s.onEvent(f),
                    () -> shown().ifPresent(c -> c.log.addSystem(now(), Text.clean(f.reason()))));
        } else if (event instanceof ChatEvent.Connected c) {
            onConnected(c);
        } else if (event instanceof ChatEvent.MessageReceived m) {
            onMessage(m);
        } else if (event instanceof ChatEvent.Delivered d) {
            conversations.get(d.peer()).log.delivered(d.id());
        } else if (event instanceof ChatEvent.SendFailed f) {
            conversations.get(f.peer()).log.failed(f.id(), Text.clean(f.reason()));
        } else if (event instanceof ChatEvent.PeerChanged pc) {
            undecided.add(pc);
            openOverlay(new PeerChangedOverlay(this, pc));
        } else if (event instanceof ChatEvent.Disconnected d) {
            onDisconnected(d);
        } else if (event instanceof ChatEvent.Notice n) {
            showError(Text.clean(n.text()));
            shown().ifPresent(c -> c.log.addSystem(now(), Text.clean(n.text())));
        } else if (event instanceof ChatEvent.ConversationsChanged) {
            refreshConversations();
        }
    }

    /**
     * A conversation is up. The user is taken to it from the menu or the screen of a wait or connect; someone
     * reading another conversation is told in the notice instead of being moved.
     */
    private void onConnected(ChatEvent.Connected c) {
        Conversation k = conversations.get(c.peer());
        attemptScreen(c.attempt()).ifPresent(s -> s.onEvent(c));
        k.connected = c;
        k.live = true;
        k.verifiedHere = false;
        k.disconnectText = null;
        k.progress.clear();
        Instant t = now();
        k.log.addSystem(t, "connected to " + Text.clean(c.name()) + " (" + Text.clean(c.path()) + ", " + c.level()
                + (c.resumed() ? ", session resumed" : ", new session") + "; " + c.trust().label() + ")");
        c.certifiedName().ifPresent(name -> k.log.addSystem(t, "Peer ID: " + Text.clean(name)
                + " (certified by your organisation's CA)"));
        refreshConversations();
        Optional<Conversation> reading = shown();
        if (reading.isPresent() && reading.get() != k) {
            showInfo("Connected to " + k.name() + switchHint(k) + ".");
        } else {
            notice = null;
            open(k);
        }
    }

    private void onMessage(ChatEvent.MessageReceived m) {
        Conversation k = conversations.get(m.peer());
        if (k.announced == null) {
            k.announced = m.from();
        }
        Instant t = m.time() == null ? now() : m.time();
        if (!k.log.addPeer(t, Text.clean(m.from()), Text.clean(m.text()), m.id())) {
            return; // already shown from the history
        }
        if (shown().orElse(null) == k) {
            k.scroll = 0;
            async(() -> messenger.markRead(k.peer), () -> { });
            return;
        }
        k.unreadLocally(t);
        showInfo("New message from " + k.name() + switchHint(k) + ".");
        if (bell) {
            ring();
        }
    }

    private void onDisconnected(ChatEvent.Disconnected d) {
        Optional<Conversation> k = d.peer() == null || d.peer().isEmpty() ? Optional.empty()
                : conversations.find(d.peer());
        if (k.isPresent()) {
            Conversation c = k.get();
            c.live = false;
            c.disconnectText = ConversationScreen.disconnectText(d);
            c.log.addSystem(now(), "disconnected: " + c.disconnectText);
            if (shown().orElse(null) != c) {
                showInfo(c.name() + " disconnected: " + c.disconnectText);
            }
            return;
        }
        // Not about a conversation: a wait or connect that ended before it had one.
        if (screen instanceof WaitScreen || screen instanceof ConnectScreen) {
            screen.onEvent(d);
        }
    }

    /** " (Alt+n)" for the first nine conversations. */
    private String switchHint(Conversation k) {
        int i = conversations.indexOf(k);
        return i >= 0 && i < 9 ? " (Alt+" + (i + 1) + ")" : " (/open " + k.name() + ")";
    }

    private void ring() {
        try {
            if (terminal instanceof TerminalScreen ts) {
                ts.getTerminal().bell();
            }
        } catch (IOException e) {
            LOG.debug("bell failed: {}", e.toString());
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

    static String plural(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    // ---------------------------------------------------------------- drawing

    /** Draws the whole frame; after a resize the old cursor may lie outside it, so it is dropped first. */
    private void draw(boolean resized) throws IOException {
        com.googlecode.lanterna.screen.Screen.RefreshType refresh = resized
                ? com.googlecode.lanterna.screen.Screen.RefreshType.COMPLETE
                : com.googlecode.lanterna.screen.Screen.RefreshType.AUTOMATIC;
        TerminalSize size = terminal.getTerminalSize();
        int width = size.getColumns();
        int height = size.getRows();
        terminal.clear();
        terminal.setCursorPosition(null);
        TextGraphics g = terminal.newTextGraphics();
        if (width < MIN_WIDTH || height < MIN_HEIGHT) {
            g.putString(0, 0, Text.fit("Terminal too small (" + MIN_WIDTH + "x" + MIN_HEIGHT + " needed)", width));
            terminal.setCursorPosition(null);
            terminal.refresh(refresh);
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
        if (overlay.isPresent()) {
            overlay.get().draw(c);
        } else {
            screen.draw(c);
        }
        if (notice != null) {
            TextGraphics n = terminal.newTextGraphics();
            if (noticeIsError) {
                n.setForegroundColor(TextColor.ANSI.RED);
            }
            for (int i = 0; i < noticeRows.size(); i++) {
                n.putString(0, contentBottom + i, Text.fit(noticeRows.get(i), width), SGR.BOLD);
            }
        }
        TextGraphics s = terminal.newTextGraphics();
        for (int i = 0; i < status.size(); i++) {
            String line = status.get(i);
            s.putString(0, statusTop + i, line + " ".repeat(Math.max(0, width - line.length())), SGR.REVERSE);
        }
        terminal.setCursorPosition(c.cursor);
        terminal.refresh(refresh);
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
}
