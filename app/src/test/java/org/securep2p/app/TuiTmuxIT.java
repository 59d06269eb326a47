package org.securep2p.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.securep2p.crypto.testing.Await;

/**
 * Issue 6, end to end through the real TUI: two instances of the packaged program, each in its own 120x40 tmux
 * session, against a coturn STUN server on loopback. Alice waits, Bob pastes her code; both must show
 * "connected", the same level and the same safety number; a message typed in each must appear in the other and
 * be marked delivered; /verify must show the 60 digits of which the header shows the start; both must quit
 * cleanly; and no message text may reach a log.
 *
 * <p>Needs tmux and coturn's turnserver on the PATH (CI installs them); it fails, rather than skips, without
 * them. Nothing leaves the loopback interface. The last chat screen is saved as target/tui-capture.txt for the
 * README.
 */
class TuiTmuxIT {

    private static final long START_MILLIS = 90_000;
    private static final long CONNECT_MILLIS = 90_000;
    private static final long MESSAGE_MILLIS = 60_000;
    private static final long EXIT_MILLIS = 30_000;

    private static final Pattern HEADER = Pattern.compile(
            "^path (\\S+) · level (\\w+) · (.+) · safety (\\d{5} \\d{5}) … \\(/verify\\)\\s*$");
    private static final Pattern SAFETY_ROW = Pattern.compile("^\\s*((\\d{5} ){3}\\d{5})$");

    private static Path dir;
    private static Path jar;
    private static String socket;
    private static Process turn;
    private static int stunPort;
    /** The temporary folder is kept after a failure, for a look at the homes. */
    private static boolean passed;

    private final List<Peer> peers = new ArrayList<>();

    /** One program instance: its home and its tmux session. */
    private record Peer(String name, Path home, TmuxSession tmux) {
    }

    @BeforeAll
    static void startStun() throws Exception {
        requireTool("tmux", "tmux");
        requireTool("turnserver", "coturn");
        requireTool("ss", "iproute2");
        requireTool("setsid", "util-linux");
        String jarProperty = System.getProperty("securep2p.jar");
        assertTrue(jarProperty != null && Files.isRegularFile(Path.of(jarProperty)),
                () -> "the packaged program is missing: system property securep2p.jar=" + jarProperty
                        + " (failsafe passes it after mvn package)");
        jar = Path.of(jarProperty).toAbsolutePath();
        dir = Files.createTempDirectory("tui-tmux-it");
        socket = "securep2p-it-" + UUID.randomUUID().toString().substring(0, 8);

        stunPort = freeUdpPort();
        turn = new ProcessBuilder("setsid", "turnserver", "-n", "--listening-ip=127.0.0.1",
                "--listening-port=" + stunPort, "--stun-only", "--no-tls", "--no-dtls", "--no-tcp", "--no-cli",
                "--log-file=" + dir.resolve("turn.log"), "--simple-log", "--no-stdout-log",
                "--pidfile=" + dir.resolve("turn.pid"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("turn.out").toFile()).start();
        Supplier<String> coturn = () -> "coturn listening on 127.0.0.1:" + stunPort + " (alive: " + turn.isAlive()
                + "); its output:\n" + readQuietly(dir.resolve("turn.out")) + "\nits log:\n"
                + readQuietly(dir.resolve("turn.log"));
        Await.until(coturn, Duration.ofSeconds(30), () -> {
            boolean listening = udpListening(stunPort);
            if (!listening && !turn.isAlive()) {
                throw new AssertionError("coturn exited before listening: " + coturn.get());
            }
            return listening;
        });
    }

    /** Whether something listens on UDP 127.0.0.1:{@code port}, as {@code ss} sees it. */
    private static boolean udpListening(int port) {
        try {
            return TmuxSession.run(List.of("ss", "-Hlun")).contains("127.0.0.1:" + port + " ");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stopAll() throws Exception {
        if (socket != null) {
            TmuxSession.killServer(socket);
        }
        if (turn != null) {
            turn.destroy();
            if (!turn.waitFor(10, TimeUnit.SECONDS)) {
                turn.destroyForcibly();
            }
        }
        if (passed && dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void twoTuisConnectByCodeChatAndQuit() throws Exception {
        try {
            scenario();
            passed = true;
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n\n" + diagnostics(), e);
        }
    }

    private void scenario() throws Exception {
        Path config = TmuxSession.writeConfig(dir);
        Peer alice = start(config, "alice");
        Peer bob = start(config, "bob");
        for (Peer p : peers) {
            String you = "You are " + p.name() + " · fingerprint";
            p.tmux().awaitScreen("main menu", START_MILLIS, s -> s.contains("securep2p — main menu") && s.contains(you));
        }

        // Alice waits and shows her connection code.
        alice.tmux().press("1");
        String code = alice.tmux().await("connection code", CONNECT_MILLIS, TuiTmuxIT::connectionCode);

        // c copies it through OSC 52: tmux, with set-clipboard on, keeps it as its newest paste buffer.
        alice.tmux().allowClipboard();
        Optional<String> before = alice.tmux().newestBuffer();
        alice.tmux().press("c");
        alice.tmux().awaitScreen("the copy notice", 10_000, s -> s.contains("Copied the connection code"));
        String copied = alice.tmux().await("the OSC 52 text in tmux's buffer", 10_000, rows -> unchecked(() ->
                alice.tmux().newestBuffer().filter(b -> !b.equals(before.orElse(null)))));
        assertEquals(code, copied, "what c put on the clipboard");

        // Bob pastes it as a mouse selection of the block copies it: the markers and the code's rows with their
        // line breaks, through tmux's bracketed paste; the line breaks inside are not Enter.
        List<String> rows = alice.tmux().rows();
        String block = String.join("\n", rows.subList(rows.indexOf("-----BEGIN CONNECTION CODE-----"),
                rows.indexOf("-----END CONNECTION CODE-----") + 1)) + "\n";
        bob.tmux().press("2");
        bob.tmux().awaitScreen("connect prompt", 10_000, s -> s.contains("Paste the peer's connection code"));
        bob.tmux().paste(block);
        bob.tmux().awaitScreen("the pasted block in the field", 10_000, s -> s.contains("-----END"));
        assertTrue(!bob.tmux().screen().contains("Connecting"), "the paste's line breaks pressed Enter");
        bob.tmux().press("Enter");

        Matcher aliceHeader = connected(alice, "bob");
        Matcher bobHeader = connected(bob, "alice");
        assertEquals("QUANTUM_RESISTANT", aliceHeader.group(2), "alice's level");
        assertEquals("QUANTUM_RESISTANT", bobHeader.group(2), "bob's level");
        assertEquals(aliceHeader.group(4), bobHeader.group(4), "the safety number's start, alice vs bob");

        // A message each way, each acknowledged.
        String tag = UUID.randomUUID().toString().substring(0, 6);
        String fromAlice = "hello bob, lunch at noon? " + tag;
        String fromBob = "yes alice, see you there " + tag;
        say(alice, bob, fromAlice);
        say(bob, alice, fromBob);
        textAsPeopleWriteIt(alice, bob);

        // /verify: the full number, the same on both sides, starting as the headers do.
        String aliceDigits = verify(alice, "bob");
        String bobDigits = verify(bob, "alice");
        assertEquals(aliceDigits, bobDigits, "the 60 safety-number digits, alice vs bob");
        assertTrue(aliceDigits.startsWith(aliceHeader.group(4).replace(" ", "")),
                () -> "header " + aliceHeader.group(4) + " is not the start of " + aliceDigits);
        alice.tmux().press("y");
        bob.tmux().press("n");
        alice.tmux().awaitScreen("verified mark", MESSAGE_MILLIS,
                s -> s.contains("you marked bob as verified") && s.contains("· safety number verified · safety"));
        bob.tmux().awaitScreen("chat after closing /verify", 10_000, s -> s.contains("Chat with alice — connected"));

        Files.writeString(jar.getParent().resolve("tui-capture.txt"), alice.tmux().screen() + "\n");

        // Quit, one after the other: Alice through /quit and menu item 7, Bob with Ctrl-C.
        alice.tmux().type("/quit");
        alice.tmux().press("Enter");
        alice.tmux().awaitScreen("main menu after /quit", 10_000, s -> s.contains("securep2p — main menu"));
        alice.tmux().press("7");
        assertEquals(0, alice.tmux().awaitExit(EXIT_MILLIS), "alice's exit status after 7");
        bob.tmux().press("C-c");
        assertEquals(0, bob.tmux().awaitExit(EXIT_MILLIS), "bob's exit status after Ctrl-C");

        // Logs exist, and no message text is in any of them.
        for (Peer p : peers) {
            Path logs = p.home().resolve("logs");
            assertTrue(Files.isRegularFile(logs.resolve("securep2p.log")), p.name() + ": logs/securep2p.log missing");
            assertTrue(Files.isRegularFile(logs.resolve("security.log")), p.name() + ": logs/security.log missing");
            assertTrue(!Files.readString(logs.resolve("security.log")).contains("restarting"),
                    p.name() + ": quitting restarted the key manager (security.log)");
            String passphrase = Files.readString(p.home().resolve("passphrase")).strip();
            for (Path log : logFiles(p.home())) {
                String text = Files.readString(log, StandardCharsets.UTF_8);
                for (String secret : List.of(fromAlice, fromBob, "lunch at noon", "see you there", passphrase)) {
                    assertTrue(!text.contains(secret), p.name() + ": " + log + " contains the plaintext \"" + secret
                            + "\"");
                }
            }
        }
    }

    private static <T> T unchecked(java.util.concurrent.Callable<T> call) {
        try {
            return call.call();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Peer start(Path config, String name) throws IOException {
        return start(config, name, List.of());
    }

    /** With {@code extraArgs} on the command line; a home made beforehand keeps its passphrase file. */
    private Peer start(Path config, String name, List<String> extraArgs) throws IOException {
        return start(config, name, name, extraArgs);
    }

    /** In tmux session {@code session}: a second start on the same home needs a new session name. */
    private Peer start(Path config, String session, String name, List<String> extraArgs) throws IOException {
        Path home = Files.createDirectories(dir.resolve(name));
        Files.writeString(home.resolve("securep2p.conf"),
                "stun.servers=127.0.0.1:" + stunPort + "\nhost.candidates=LOOPBACK_ONLY\n");
        Path pass = home.resolve("passphrase");
        if (!Files.exists(pass)) {
            writePassphrase(pass, "it-passphrase-" + UUID.randomUUID());
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        StringBuilder extra = new StringBuilder();
        extraArgs.forEach(a -> extra.append(' ').append(sh(a)));
        String command = "cd " + sh(home.toString()) + " && exec env LANG=C.UTF-8 LC_ALL=C.UTF-8"
                + " SECUREP2P_PASSPHRASE_FILE=" + sh(pass.toString()) + " DBUS_SESSION_BUS_ADDRESS=disabled:"
                + " " + sh(java) + " -jar " + sh(jar.toString()) + " --home " + sh(home.toString())
                + " --name " + name + extra + " 2>" + sh(home.resolve("stderr.txt").toString());
        Peer p = new Peer(name, home, TmuxSession.start(socket, config, session, command));
        peers.add(p);
        return p;
    }

    /**
     * The program in a new tmux session {@code session} on {@code home}, with neither an OS keyring (no session
     * bus) nor a passphrase file: the only way to the keys is the user at the terminal.
     */
    private Peer startWithoutPassphraseFile(Path config, String session, Path home) throws IOException {
        Files.createDirectories(home);
        Files.writeString(home.resolve("securep2p.conf"),
                "stun.servers=127.0.0.1:" + stunPort + "\nhost.candidates=LOOPBACK_ONLY\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = "cd " + sh(home.toString()) + " && exec env -u SECUREP2P_PASSPHRASE_FILE LANG=C.UTF-8"
                + " LC_ALL=C.UTF-8 DBUS_SESSION_BUS_ADDRESS=disabled: " + sh(java) + " -jar " + sh(jar.toString())
                + " --home " + sh(home.toString()) + " --name erin 2>" + sh(home.resolve("stderr.txt").toString());
        Peer p = new Peer(session, home, TmuxSession.start(socket, config, session, command));
        peers.add(p);
        return p;
    }

    /**
     * The TUI sets the terminal up itself (no line buffering, no echo, Ctrl-C as a key: one stty process, see
     * SttyTerminal) and must hand it back as it found it: the shell around it reads its settings before and after.
     */
    @Test
    void leavesTheTerminalSettingsAsItFoundThem() throws Exception {
        Path config = TmuxSession.writeConfig(dir);
        Path home = Files.createDirectories(dir.resolve("grace"));
        Path pass = home.resolve("passphrase");
        writePassphrase(pass, "it-passphrase-" + UUID.randomUUID());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String program = "env LANG=C.UTF-8 LC_ALL=C.UTF-8 SECUREP2P_PASSPHRASE_FILE=" + sh(pass.toString())
                + " DBUS_SESSION_BUS_ADDRESS=disabled: " + sh(java) + " -jar " + sh(jar.toString()) + " --home "
                + sh(home.toString()) + " --name grace 2>" + sh(home.resolve("stderr.txt").toString());
        String command = "cd " + sh(home.toString()) + " && stty -a > before.txt && " + program
                + "; status=$?; stty -a > after.txt; exit $status";
        Peer grace = new Peer("grace", home, TmuxSession.start(socket, config, "grace", command));
        peers.add(grace);
        try {
            grace.tmux().awaitScreen("main menu", START_MILLIS, s -> s.contains("securep2p — main menu"));
            grace.tmux().press("7");
            assertEquals(0, grace.tmux().awaitExit(EXIT_MILLIS), "exit status after 7");
            String before = Files.readString(home.resolve("before.txt"));
            assertTrue(before.contains(" icanon") && before.contains(" echo"), "a cooked terminal before:\n" + before);
            assertEquals(before, Files.readString(home.resolve("after.txt")), "stty -a after the TUI");
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n\n" + diagnostics(), e);
        }
    }

    @Test
    void twoConversationsSwitchCountUnreadAndScrollBackThroughTheHistoryAfterARestart() throws Exception {
        try {
            twoConversationsScenario();
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n\n" + diagnostics(), e);
        }
    }

    /** A row of the conversation list: its Alt key, the name, online or offline, the unread count. */
    private static Pattern listRow(String name) {
        return Pattern.compile("(?m)^[> ] Alt\\+(\\d)\\s+" + Pattern.quote(name) + "\\s+(online|offline)\\s*(\\d+ unread)?");
    }

    /** The Alt key of {@code name}'s row, once the list shows it. */
    private static String altKey(Peer p, String name) throws IOException, InterruptedException {
        return p.tmux().await(name + " in the conversation list", MESSAGE_MILLIS, rows -> {
            Matcher m = listRow(name).matcher(String.join("\n", rows));
            return m.find() ? Optional.of("M-" + m.group(1)) : Optional.empty();
        });
    }

    /**
     * Issue 16 in the real TUI: Hana talks with Ivan and Jill at once. A message from Ivan while Jill's
     * conversation is up raises Ivan's unread count and puts a notice up; Alt+n opens his conversation and marks
     * it read, Ctrl+N and Ctrl+P switch. After Hana restarts, her conversations are listed from the history and
     * PgUp scrolls back through Ivan's messages to the first one.
     */
    private void twoConversationsScenario() throws Exception {
        Path config = TmuxSession.writeConfig(dir);
        Peer hana = start(config, "hana");
        Peer ivan = start(config, "ivan");
        Peer jill = start(config, "jill");
        for (Peer p : List.of(hana, ivan, jill)) {
            p.tmux().awaitScreen("main menu", START_MILLIS, s -> s.contains("securep2p — main menu")
                    && s.contains("You are " + p.name() + " · fingerprint"));
        }
        hana.tmux().press("1");
        String code = hana.tmux().await("connection code", CONNECT_MILLIS, TuiTmuxIT::connectionCode);
        ivan.tmux().press("2");
        ivan.tmux().awaitScreen("connect prompt", 10_000, s -> s.contains("Paste the peer's connection code"));
        ivan.tmux().type(code);
        ivan.tmux().press("Enter");
        connected(hana, "ivan");
        connected(ivan, "hana");

        // A second wait from inside the chat; Jill's connection opens her conversation.
        hana.tmux().type("/wait");
        hana.tmux().press("Enter");
        String second = hana.tmux().await("second connection code", CONNECT_MILLIS, TuiTmuxIT::connectionCode);
        jill.tmux().press("2");
        jill.tmux().awaitScreen("connect prompt", 10_000, s -> s.contains("Paste the peer's connection code"));
        jill.tmux().type(second);
        jill.tmux().press("Enter");
        connected(hana, "jill");
        connected(jill, "hana");
        altKey(hana, "ivan");
        altKey(hana, "jill");

        // Ivan writes while Hana reads Jill's conversation.
        String tag = UUID.randomUUID().toString().substring(0, 6);
        String ping = "ping from ivan " + tag;
        ivan.tmux().type(ping);
        ivan.tmux().press("Enter");
        Pattern notice = Pattern.compile("New message from ivan \\(Alt\\+(\\d)\\)\\.");
        String ivanKey = hana.tmux().await("the notice of ivan's message", MESSAGE_MILLIS, rows -> {
            String s = String.join("\n", rows);
            Matcher n = notice.matcher(s);
            Matcher row = listRow("ivan").matcher(s);
            return n.find() && row.find() && "1 unread".equals(row.group(3)) && s.contains("Chat with jill")
                    && !s.contains(ping) ? Optional.of("M-" + n.group(1)) : Optional.empty();
        });
        hana.tmux().press(ivanKey);
        hana.tmux().awaitScreen("ivan's conversation, read", MESSAGE_MILLIS, s -> {
            Matcher row = listRow("ivan").matcher(s);
            return s.contains("Chat with ivan — connected") && s.contains("ivan: " + ping) && row.find()
                    && row.group(3) == null;
        });
        hana.tmux().press("C-n");
        hana.tmux().awaitScreen("Ctrl+N to jill", 10_000, s -> s.contains("Chat with jill — connected"));
        hana.tmux().press("C-p");
        hana.tmux().awaitScreen("Ctrl+P back to ivan", 10_000, s -> s.contains("Chat with ivan — connected"));
        String fromJill = "hello hana, jill here " + tag;
        jill.tmux().type(fromJill);
        jill.tmux().press("Enter");
        jill.tmux().awaitScreen("[delivered] on jill's message", MESSAGE_MILLIS,
                s -> s.contains("me: " + fromJill + "  [delivered]"));
        hana.tmux().awaitScreen("the notice of jill's message", MESSAGE_MILLIS,
                s -> s.contains("New message from jill") && s.contains("Chat with ivan") && !s.contains(fromJill));

        // More lines from Ivan than the screen holds, and Hana's answer.
        int lines = 40;
        for (int i = 1; i <= lines; i++) {
            ivan.tmux().type(String.format("line %02d %s", i, tag));
            ivan.tmux().press("Enter");
        }
        String last = String.format("ivan: line %02d %s", lines, tag);
        hana.tmux().awaitScreen("ivan's last line", MESSAGE_MILLIS, s -> s.contains(last));
        say(hana, ivan, "pong " + tag);

        // Restart: the list comes from the engine, the lines from the history, older ones behind PgUp.
        hana.tmux().press("C-c");
        assertEquals(0, hana.tmux().awaitExit(EXIT_MILLIS), "hana's exit status after Ctrl-C");
        Peer again = start(config, "hana-again", "hana", List.of());
        again.tmux().awaitScreen("main menu after the restart", START_MILLIS, s -> s.contains("securep2p — main menu")
                && s.contains("You are hana · fingerprint"));
        again.tmux().press(altKey(again, "ivan"));
        String first = String.format("ivan: line %02d %s", 1, tag);
        again.tmux().awaitScreen("ivan's conversation from the history", MESSAGE_MILLIS,
                s -> s.contains("Chat with ivan") && s.contains("me: pong " + tag + "  [delivered]"));
        String reopened = again.tmux().screen();
        assertTrue(!reopened.contains(first), "the first line is above the screen before PgUp:\n" + reopened);
        for (int i = 0; i < 2 * lines / 5; i++) { // PgUp moves 5 rows; twice as many as the lines need
            again.tmux().press("PPage");
        }
        again.tmux().awaitScreen("the start of ivan's conversation, its oldest lines shown", 10_000,
                s -> s.contains("— start of the conversation —") && s.contains(first) && s.contains("ivan: " + ping));
        String top = again.tmux().screen();
        Files.writeString(jar.getParent().resolve("tui-capture-conversations.txt"), top + "\n");

        again.tmux().press("C-c");
        assertEquals(0, again.tmux().awaitExit(EXIT_MILLIS), "hana's exit status after the restart");
        for (Peer p : List.of(ivan, jill)) {
            p.tmux().press("C-c");
            assertEquals(0, p.tmux().awaitExit(EXIT_MILLIS), p.name() + "'s exit status after Ctrl-C");
        }
        Path db = dir.resolve("hana").resolve("history.db");
        if (Files.isRegularFile(db)) {
            byte[] raw = Files.readAllBytes(db);
            String text = new String(raw, StandardCharsets.ISO_8859_1);
            assertTrue(!text.contains(ping) && !text.contains("pong " + tag), "history.db holds a plaintext message");
        }
    }

    @Test
    void aFixedPortAsksAboutAStrangerAndTakesAContactBackWithNoAction() throws Exception {
        try {
            fixedPortScenario();
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n\n" + diagnostics(), e);
        }
    }

    /**
     * Issue 21: Kim runs with {@code --port} and never presses Wait. Leo, a stranger, dials 127.0.0.1:PORT: Kim's
     * screen asks, and she accepts and trusts him. Kim quits and starts again, and does nothing: Leo's dropped
     * {@code host:port} conversation redials and is taken back, a contact now, with no question.
     */
    private void fixedPortScenario() throws Exception {
        Path config = TmuxSession.writeConfig(dir);
        List<String> port = List.of("--port", String.valueOf(freeUdpPort()));
        Peer kim = start(config, "kim", port);
        Peer leo = start(config, "leo");
        for (Peer p : List.of(kim, leo)) {
            p.tmux().awaitScreen("main menu", START_MILLIS, s -> s.contains("securep2p — main menu")
                    && s.contains("You are " + p.name() + " · fingerprint"));
        }
        kim.tmux().awaitScreen("the open port on the menu", 10_000,
                s -> s.contains("Listening on UDP port " + port.get(1) + ": contacts connect at any time"));
        leo.tmux().press("2");
        leo.tmux().awaitScreen("connect prompt", 10_000, s -> s.contains("Paste the peer's connection code"));
        leo.tmux().type("127.0.0.1:" + port.get(1));
        leo.tmux().press("Enter");
        kim.tmux().awaitScreen("the question about a stranger", CONNECT_MILLIS,
                s -> s.contains("Someone who is not a contact is connecting") && s.contains("\"leo\"")
                        && s.contains("o: accept once   a: accept and trust   r: refuse"));
        String ask = kim.tmux().screen();
        assertTrue(!ask.contains("Chat with leo"), "nothing is connected before the answer:\n" + ask);
        kim.tmux().press("a");
        connected(kim, "leo");
        connected(leo, "kim");
        String tag = UUID.randomUUID().toString().substring(0, 6);
        say(leo, kim, "first, as a stranger " + tag);

        kim.tmux().press("C-c");
        assertEquals(0, kim.tmux().awaitExit(EXIT_MILLIS), "kim's exit status after Ctrl-C");
        Peer again = start(config, "kim-again", "kim", port);
        again.tmux().awaitScreen("main menu after the restart", START_MILLIS,
                s -> s.contains("securep2p — main menu") && s.contains("You are kim · fingerprint"));
        // Kim does nothing: Leo's link redials and the port takes him back.
        Matcher header = connected(again, "leo");
        assertTrue(header.group(0).contains("previously trusted"), "kim's header: " + header.group(0));
        String screen = again.tmux().screen();
        assertTrue(!screen.contains("not a contact"), "no question about a contact:\n" + screen);
        say(leo, again, "back, with no action " + tag);

        for (Peer p : List.of(again, leo)) {
            p.tmux().press("C-c");
            assertEquals(0, p.tmux().awaitExit(EXIT_MILLIS), p.name() + "'s exit status after Ctrl-C");
        }
    }

    @Test
    void asksForThePassphraseOnTheTerminalWhenThereIsNoKeyringAndNoFile() throws Exception {
        try {
            passphrasePromptScenario();
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n\n" + diagnostics(), e);
        }
    }

    @Test
    void aKeyManagerThatFailsAfterTheMenuIsUpIsShownThereAndTheProgramExitsWhenAsked() throws Exception {
        try {
            keyManagerFailureScenario();
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n\n" + diagnostics(), e);
        }
    }

    /**
     * Issue 15: keys kept in the OS keyring (the marker is there), so the menu comes up beside the key manager's
     * start; but there is no session bus, so that start fails. The menu must say so with the sentences the
     * program prints on stderr, refuse the actions that need keys, and quit cleanly with status 1.
     */
    private void keyManagerFailureScenario() throws Exception {
        Path config = TmuxSession.writeConfig(dir);
        Path home = dir.resolve("frank");
        Files.createDirectories(home.resolve("keys"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(home.resolve("keys").resolve("master.keyring"), "");
        Peer frank = startWithoutPassphraseFile(config, "frank", home);
        // Awaits the whole explanation: the lines are drawn one after another, a fast poll sees them part-drawn.
        frank.tmux().awaitScreen("the failure explained on the menu", START_MILLIS,
                s -> s.contains("securep2p — main menu") && s.contains("the key manager did not start")
                        && s.contains("The keys could not be unlocked:") && s.contains("keys: unavailable"));
        frank.tmux().press("1");
        frank.tmux().awaitScreen("the refusal of Wait", 10_000,
                s -> s.contains("press 7, q or Escape to quit") && !s.contains("Waiting for an incoming"));
        frank.tmux().press("q");
        assertEquals(1, frank.tmux().awaitExit(EXIT_MILLIS), "exit status after q");
        String stderr = Files.readString(home.resolve("stderr.txt"));
        assertTrue(stderr.contains("securep2p: the key manager did not start:")
                && stderr.contains(TerminalPassphrase.HINT), "stderr after the screen closed:\n" + stderr);
    }

    /** Issue 5's interactive prompt: twice for new keys, again after a restart, once more after a typo. */
    private void passphrasePromptScenario() throws Exception {
        Path config = TmuxSession.writeConfig(dir);
        Path home = dir.resolve("erin");
        String passphrase = "erin's " + UUID.randomUUID();
        Peer first = startWithoutPassphraseFile(config, "erin-new", home);
        first.tmux().awaitScreen("new passphrase prompt", START_MILLIS,
                s -> s.contains("no OS keyring is available") && s.contains("New passphrase for the securep2p keys:"));
        first.tmux().type(passphrase);
        first.tmux().press("Enter");
        first.tmux().awaitScreen("repeat prompt", 10_000, s -> s.contains("Repeat the passphrase:"));
        first.tmux().type(passphrase);
        first.tmux().press("Enter");
        first.tmux().awaitScreen("main menu", START_MILLIS, s -> s.contains("securep2p — main menu"));
        String fingerprint = mainMenuFingerprint(first);
        first.tmux().press("7");
        assertEquals(0, first.tmux().awaitExit(EXIT_MILLIS), "exit status after 7");

        Peer again = startWithoutPassphraseFile(config, "erin-again", home);
        again.tmux().awaitScreen("passphrase prompt", START_MILLIS,
                s -> s.contains("Passphrase for the securep2p keys:"));
        again.tmux().type("not " + passphrase);
        again.tmux().press("Enter");
        again.tmux().awaitScreen("retry prompt", START_MILLIS, s -> s.contains("did not open the keys"));
        again.tmux().type(passphrase);
        again.tmux().press("Enter");
        again.tmux().awaitScreen("main menu", START_MILLIS, s -> s.contains("securep2p — main menu"));
        assertEquals(fingerprint, mainMenuFingerprint(again), "the same identity after the restart");
        again.tmux().press("7");
        assertEquals(0, again.tmux().awaitExit(EXIT_MILLIS), "exit status after 7");

        String security = Files.readString(home.resolve("logs").resolve("security.log"));
        assertTrue(security.contains("key protection: passphrase"), "security.log names the protection:\n" + security);
        String keyManager = Files.readString(home.resolve("logs").resolve("keymanager.log"));
        assertTrue(keyManager.contains("from the app's prompt): created")
                && keyManager.contains("from the app's prompt): opened"), "keymanager.log:\n" + keyManager);
        for (Path log : logFiles(home)) {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(!text.contains(passphrase.substring(7)), log + " contains the passphrase");
        }
    }

    /**
     * The main menu's line with the user's fingerprint, once it is there: the menu is drawn first and the identity
     * arrives from the key manager a moment later ("Loading identity…" until then).
     */
    private static String mainMenuFingerprint(Peer p) throws Exception {
        // The whole fingerprint (16 groups of 4): a capture can catch the line while it is being drawn.
        Pattern whole = Pattern.compile("You are \\S+ · fingerprint (?:\\p{XDigit}{4} ){15}\\p{XDigit}{4}");
        return p.tmux().await("the fingerprint on the main menu", START_MILLIS, rows -> {
            String s = String.join("\n", rows);
            Matcher m = whole.matcher(s);
            return s.contains("securep2p — main menu") && m.find() ? Optional.of(m.group()) : Optional.empty();
        });
    }

    private static Path writePassphrase(Path file, String passphrase) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, passphrase + "\n");
        return file;
    }

    @Test
    void twoOrganisationMembersConnectInTheTuiAndSeeTheirCertifiedNames() throws Exception {
        try {
            organisationScenario();
            passed = true;
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n\n" + diagnostics(), e);
        }
    }

    /** Organisation mode through the real TUI: the CA-verified trust mode and the certified names are shown. */
    private void organisationScenario() throws Exception {
        Path config = TmuxSession.writeConfig(dir);
        String passphrase = "org-it-passphrase-" + UUID.randomUUID();
        OrganisationLab lab = new OrganisationLab(jar, writePassphrase(dir.resolve("org-passphrase"), passphrase),
                dir.resolve("org-runs"));
        Path conf = dir.resolve("org.conf");
        Files.writeString(conf, "stun.servers=127.0.0.1:" + stunPort + "\nhost.candidates=LOOPBACK_ONLY\n");
        Path lead = dir.resolve("lead");
        Path caCert = lab.newCa(lead, "Control");
        for (String member : List.of("carol", "dave")) {
            Path home = Files.createDirectories(dir.resolve(member));
            writePassphrase(home.resolve("passphrase"), passphrase);
            lab.firstStart(home, member, caCert, conf);
        }
        lab.issue(lead, java.util.Map.of("Control-Charlie", dir.resolve("carol"), "Control-Delta", dir.resolve("dave")));
        List<String> trust = List.of("--trust", "ca:" + caCert);
        Peer carol = start(config, "carol", trust);
        Peer dave = start(config, "dave", trust);
        for (Peer p : List.of(carol, dave)) {
            p.tmux().awaitScreen("main menu", START_MILLIS, s -> s.contains("securep2p — main menu"));
        }
        carol.tmux().press("1");
        String code = carol.tmux().await("connection code", CONNECT_MILLIS, TuiTmuxIT::connectionCode);
        dave.tmux().press("2");
        dave.tmux().awaitScreen("connect prompt", 10_000, s -> s.contains("Paste the peer's connection code"));
        dave.tmux().type(code);
        dave.tmux().press("Enter");
        // The conversation carries the contact's name: the engine may name a CA-certified peer by its certificate.
        Matcher carolHeader = connected(carol, "dave", "Control-Delta");
        Matcher daveHeader = connected(dave, "carol", "Control-Charlie");
        assertEquals("CA-verified", carolHeader.group(3), "carol's trust mode");
        assertEquals("CA-verified", daveHeader.group(3), "dave's trust mode");
        carol.tmux().awaitScreen("dave's certified name", 10_000,
                s -> s.contains("Peer ID: Control-Delta (certified by your organisation's CA)"));
        dave.tmux().awaitScreen("carol's certified name", 10_000,
                s -> s.contains("Peer ID: Control-Charlie (certified by your organisation's CA)"));
        String tag = UUID.randomUUID().toString().substring(0, 6);
        String fromCarol = "org hello from carol " + tag;
        String fromDave = "org hello from dave " + tag;
        say(carol, dave, fromCarol);
        say(dave, carol, fromDave);
        Files.writeString(jar.getParent().resolve("tui-capture-organisation.txt"), carol.tmux().screen() + "\n");
        carol.tmux().press("C-c");
        assertEquals(0, carol.tmux().awaitExit(EXIT_MILLIS), "carol's exit status after Ctrl-C");
        dave.tmux().press("C-c");
        assertEquals(0, dave.tmux().awaitExit(EXIT_MILLIS), "dave's exit status after Ctrl-C");
        for (Peer p : List.of(carol, dave)) {
            for (Path log : logFiles(p.home())) {
                String text = Files.readString(log, StandardCharsets.UTF_8);
                for (String secret : List.of(fromCarol, fromDave, passphrase)) {
                    assertTrue(!text.contains(secret), p.name() + ": " + log + " contains \"" + secret + "\"");
                }
            }
        }
    }

    /** The code on the lines strictly between the markers, joined; present once the end marker is drawn. */
    static Optional<String> connectionCode(List<String> rows) {
        int begin = rows.indexOf("-----BEGIN CONNECTION CODE-----");
        int end = rows.indexOf("-----END CONNECTION CODE-----");
        if (begin < 0 || end <= begin + 1) {
            return Optional.empty();
        }
        return Optional.of(rows.subList(begin + 1, end).stream().map(String::strip).collect(Collectors.joining()));
    }

    /** Waits for the chat header of a live conversation with {@code other} and returns its second row parsed. */
    private static Matcher connected(Peer p, String... names) throws IOException, InterruptedException {
        String other = String.join(" or ", names);
        List<String> titles = Arrays.stream(names).map(n -> "Chat with " + n + " — connected").toList();
        // The conversation list takes the top rows; the chat's header follows it.
        return p.tmux().await("connected chat with " + other, CONNECT_MILLIS, rows -> {
            int title = -1;
            for (int i = 0; i < rows.size() && title < 0; i++) {
                title = titles.contains(rows.get(i).strip()) ? i : -1;
            }
            if (title < 0 || title + 1 >= rows.size()) {
                return Optional.empty();
            }
            Matcher m = HEADER.matcher(rows.get(title + 1));
            return m.matches() ? Optional.of(m) : Optional.empty();
        });
    }

    /** Types {@code text} at {@code from}, and waits for it to arrive at {@code to} and be acknowledged. */
    private static void say(Peer from, Peer to, String text) throws IOException, InterruptedException {
        from.tmux().type(text);
        from.tmux().press("Enter");
        Pattern received = Pattern.compile("(?m)^\\d\\d:\\d\\d " + Pattern.quote(from.name() + ": " + text) + "$");
        to.tmux().awaitScreen(to.name() + " receiving \"" + text + "\"", MESSAGE_MILLIS,
                s -> received.matcher(s).find());
        Pattern delivered = Pattern.compile("(?m)^\\d\\d:\\d\\d " + Pattern.quote("me: " + text + "  [delivered]")
                + "$");
        from.tmux().awaitScreen("[delivered] on \"" + text + "\"", MESSAGE_MILLIS, s -> delivered.matcher(s).find());
    }

    /** Issue 21: clusters and the columns a terminal gives each, as Unicode and the TUI's Text measure them. */
    private static final List<Map.Entry<String, Integer>> WRITTEN = List.of(Map.entry("🙂", 2), Map.entry("中文", 4),
            Map.entry("e\u0301", 1), Map.entry("שלום", 4), Map.entry("مرحبا", 5),
            Map.entry("👩\u200D👩\u200D👧", 2), Map.entry("🇫🇷", 2));

    /**
     * Issue 21: emoji (a ZWJ sequence, a flag, a skin tone), CJK, a combining mark, Hebrew and Arabic typed in one
     * TUI arrive byte-exact in the other, and tmux's screen has each where the TUI put it: the column of every '|'
     * between them (tmux's copy mode reports it) is the one before plus the cluster widths. The skin tone comes
     * last, with nothing after it on the row: tmux 3.3 draws a modifier as a wide character of its own (4 columns
     * where terminals that combine it, and the TUI, give 2), so only its round trip is checked.
     */
    private static void textAsPeopleWriteIt(Peer from, Peer to) throws IOException, InterruptedException {
        String text = "|" + WRITTEN.stream().map(Map.Entry::getKey).collect(Collectors.joining("|")) + "|👍🏽";
        from.tmux().type(text);
        from.tmux().press("Enter");
        String prefix = from.name() + ": ";
        Pattern received = Pattern.compile("^\\d\\d:\\d\\d " + Pattern.quote(prefix + text) + "$");
        to.tmux().awaitScreen(to.name() + " receiving the Unicode message", MESSAGE_MILLIS,
                s -> s.lines().anyMatch(l -> received.matcher(l).matches()));
        Pattern sent = Pattern.compile("^\\d\\d:\\d\\d " + Pattern.quote("me: " + text) + "  \\[.*");
        from.tmux().awaitScreen(from.name() + " showing the Unicode message sent", MESSAGE_MILLIS,
                s -> s.lines().anyMatch(l -> sent.matcher(l).matches()));
        List<String> rows = to.tmux().rows();
        int row = 0;
        while (!received.matcher(rows.get(row)).matches()) {
            row++;
        }
        List<Integer> columns = markerColumns(to, row, WRITTEN.size() + 1);
        int expected = "hh:mm ".length() + prefix.length();
        for (int i = 0; i < columns.size(); i++) {
            String after = i == 0 ? "the prefix" : WRITTEN.get(i - 1).getKey();
            assertEquals(expected, columns.get(i), "the column of '|' number " + i + ", after " + after
                    + ", on " + to.name() + "'s row: " + rows.get(row));
            expected += 1 + (i < WRITTEN.size() ? WRITTEN.get(i).getValue() : 0);
        }
    }

    /** The columns of the first {@code count} '|' on screen row {@code row}, as tmux's copy mode finds them. */
    private static List<Integer> markerColumns(Peer p, int row, int count) throws IOException {
        String target = p.tmux().name();
        List<String> tmux = List.of("tmux", "-u", "-L", socket);
        TmuxSession.run(concat(tmux, "copy-mode", "-t", target));
        try {
            TmuxSession.run(concat(tmux, "send-keys", "-t", target, "-X", "top-line"));
            if (row > 0) {
                TmuxSession.run(concat(tmux, "send-keys", "-t", target, "-X", "-N", String.valueOf(row),
                        "cursor-down"));
            }
            TmuxSession.run(concat(tmux, "send-keys", "-t", target, "-X", "start-of-line"));
            List<Integer> columns = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                TmuxSession.run(concat(tmux, "send-keys", "-t", target, "-X", "jump-forward", "|"));
                columns.add(Integer.parseInt(TmuxSession.run(concat(tmux, "display-message", "-p", "-t", target,
                        "#{copy_cursor_x}")).strip()));
            }
            return columns;
        } finally {
            TmuxSession.run(concat(tmux, "send-keys", "-t", target, "-X", "cancel"));
        }
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(Arrays.asList(tail));
        return all;
    }

    /** Opens /verify and returns the 60 digits it shows (three rows of four blocks of five). */
    private static String verify(Peer p, String other) throws IOException, InterruptedException {
        p.tmux().type("/verify");
        p.tmux().press("Enter");
        return p.tmux().await("/verify with three rows of digits", 10_000, rows -> {
            if (rows.stream().noneMatch(r -> r.strip().equals("Safety number with " + other))) {
                return Optional.empty();
            }
            List<String> digitRows = rows.stream().map(SAFETY_ROW::matcher).filter(Matcher::matches)
                    .map(m -> m.group(1).replace(" ", "")).toList();
            return digitRows.size() == 3 ? Optional.of(String.join("", digitRows)) : Optional.empty();
        });
    }

    private String diagnostics() {
        StringBuilder b = new StringBuilder("--- diagnostics (stun 127.0.0.1:" + stunPort + ", tmux -L " + socket
                + ", homes kept in " + dir + ")\n");
        for (Peer p : peers) {
            b.append("--- ").append(p.name()).append("'s pane:\n").append(p.tmux().screen()).append('\n');
        }
        for (Peer p : peers) {
            b.append(threadDump(p));
        }
        for (Peer p : peers) {
            List<Path> files = new ArrayList<>(logFiles(p.home()));
            files.add(p.home().resolve("stderr.txt"));
            for (Path f : files) {
                b.append("--- tail of ").append(f).append(":\n").append(tail(f, 40)).append('\n');
            }
        }
        if (dir != null) {
            b.append("--- tail of coturn's log:\n").append(tail(dir.resolve("turn.log"), 20)).append('\n');
        }
        return b.toString();
    }

    /**
     * The threads of a program that still runs (for a hang; the terminal may already be closed, so a pane that
     * reads as dead can still have its process), or nothing.
     */
    private static String threadDump(Peer p) {
        try {
            long pid = p.tmux().pid();
            String state = readQuietly(Path.of("/proc/" + pid + "/stat")).replaceFirst("^.*\\) (\\S).*$", "$1")
                    .strip();
            if (state.equals("Z")) {
                return "--- " + p.name() + "'s process " + pid + " has exited, but tmux has not collected it yet\n";
            }
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                String id = String.valueOf(pid);
                return "--- " + p.name() + "'s process " + pid + " still runs; it and its children:\n"
                        + TmuxSession.exec(List.of("ps", "-o", "pid,ppid,pgid,tpgid,stat,wchan:24,etime,args", "-p", id,
                                "--ppid", id)).output()
                        + "--- its threads:\n"
                        + TmuxSession.exec(List.of("ps", "-L", "-o", "tid,stat,wchan:24,comm", "-p", id)).output()
                        + "--- its open files:\n"
                        + TmuxSession.exec(List.of("ls", "-l", "/proc/" + id + "/fd")).output()
                        + "--- jcmd Thread.print:\n"
                        + TmuxSession.exec(List.of("jcmd", id, "Thread.print")).output() + "\n";
            }
            return "";
        } catch (IOException | RuntimeException e) {
            return "--- no thread dump of " + p.name() + ": " + e + "\n";
        }
    }

    private static List<Path> logFiles(Path home) {
        Path logs = home.resolve("logs");
        if (!Files.isDirectory(logs)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(logs)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String tail(Path file, int lines) {
        String text = readQuietly(file);
        List<String> all = List.of(text.split("\n", -1));
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    /** Fails, naming the package, unless {@code tool} is an executable on the PATH. */
    private static void requireTool(String tool, String pkg) {
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, tool)).anyMatch(Files::isExecutable);
        String message = tool + " is required for this end-to-end test but is not on the PATH (" + System.getenv("PATH")
                + "); install it (apt-get install " + pkg + "; ./test does), or skip with -Dsecurep2p.tui.skip=true";
        org.junit.jupiter.api.Assumptions.assumeTrue(found || !Boolean.getBoolean("securep2p.tui.skip"), message);
        assertTrue(found, message);
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Quotes for a POSIX shell. */
    private static String sh(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
