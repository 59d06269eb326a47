package org.securep2p.app.tui;

import org.securep2p.app.ChatEvent;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;

/** The main menu: the numbered actions, the user's identity, and why the keys are unavailable if they are. */
final class MenuScreen implements Screen {

    static final String[] MENU = {"Wait for incoming connection", "Connect to a peer", "Retry STUN discovery",
        "Security level", "Identity", "Peers", "Quit"};

    /** Menu items that need the messenger: Wait, Connect, Retry STUN, Identity, Peers. */
    private static final boolean[] NEEDS_KEYS = {true, true, true, false, true, true, false};

    static final String UNAVAILABLE = "The keys could not be unlocked; press 7, q or Escape to quit.";

    /** The doctor's last report, shown under the menu until another key is pressed; empty: none. */
    private java.util.List<String> doctor = java.util.List.of();

    private final Tui tui;
    /** The highlighted item; kept while other screens are up, so the menu comes back as it was left. */
    private int index;

    MenuScreen(Tui tui) {
        this.tui = tui;
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        char c = KeyInput.typed(key);
        doctor = java.util.List.of();
        if (c == 'h' || c == 'H') {
            // Not a numbered item: the numbers (and "7 quits") stay as they were.
            runDoctor();
        } else if (c >= '1' && c <= '0' + MENU.length) {
            index = c - '1';
            choose(index);
        } else if (key.getKeyType() == KeyType.ArrowUp) {
            index = (index + MENU.length - 1) % MENU.length;
        } else if (key.getKeyType() == KeyType.ArrowDown) {
            index = (index + 1) % MENU.length;
        } else if (KeyInput.isEnter(key)) {
            choose(index);
        } else if ((c == 'd' || c == 'D') && organisation()) {
            // Not a numbered item: the numbers stay the same with and without an organisation.
            if (tui.keys() instanceof Tui.Unlocked) {
                tui.show(new DirectoryScreen(tui));
            }
        } else if (KeyInput.isEscape(key) || c == 'q') {
            tui.quit();
        }
    }

    void choose(int item) {
        tui.clearNotice();
        if (item < NEEDS_KEYS.length && NEEDS_KEYS[item] && !(tui.keys() instanceof Tui.Unlocked)) {
            if (tui.keys() instanceof Tui.Unavailable) {
                tui.showError(UNAVAILABLE);
            } else {
                // Kept, not dropped: the key press is answered as soon as the keys are there.
                tui.queueUntilUnlocked(item);
                tui.showInfo(Tui.UNLOCKING + " " + MENU[item] + " follows as soon as they are ready.");
            }
            return;
        }
        switch (item) {
            case 0 -> WaitScreen.start(tui);
            case 1 -> tui.show(new ConnectScreen(tui));
            case 2 -> {
                tui.showInfo("Asking the STUN servers for the public endpoint…");
                tui.async(tui.messenger()::discoverEndpoint, (ChatEvent.Endpoint e) -> {
                    tui.setEndpoint(e);
                    tui.showInfo("Public endpoint " + Text.clean(e.endpoint()) + ". " + Text.clean(e.natAdvice()));
                }, tui::showError);
            }
            case 3 -> tui.show(new LevelScreen(tui));
            case 4 -> tui.show(new IdentityScreen(tui));
            case 5 -> tui.show(new PeersScreen(tui));
            default -> tui.quit();
        }
    }

    private void runDoctor() {
        tui.showInfo("Connection doctor: checking keys, home, STUN, NAT, UDP, TURN, relays, IPv6 and the clock…");
        tui.async(org.securep2p.app.doctor.Doctor::runRegistered,
                (java.util.Optional<org.securep2p.app.doctor.DoctorReport> report) -> {
                    if (report.isEmpty()) {
                        tui.showError("The connection doctor is not available here; run: securep2p doctor");
                        return;
                    }
                    doctor = report.get().text().lines().toList();
                    tui.showInfo("Connection doctor: " + report.get().advice().get(0));
                }, tui::showError);
    }

    /** Organisation mode: the identity's trust model names a CA (Wiring's Ready). */
    private boolean organisation() {
        ChatEvent.Ready identity = tui.identity();
        return identity != null && identity.trustModel().startsWith(ChatEvent.Ready.ORGANISATION);
    }

    @Override
    public void draw(Canvas c) {
        c.line("securep2p — main menu", SGR.BOLD);
        ChatEvent.Ready identity = tui.identity();
        if (identity != null) {
            c.line("You are " + Text.clean(identity.username()) + " · fingerprint " + Text.clean(identity.fingerprint()));
        } else if (tui.keys() instanceof Tui.Unavailable) {
            c.line("The keys could not be unlocked:");
        } else {
            c.line(tui.keys() instanceof Tui.Unlocking ? Tui.UNLOCKING : "Loading identity…");
        }
        c.blank();
        for (int i = 0; i < MENU.length; i++) {
            String label = (i == index ? " > " : "   ") + (i + 1) + "  " + MENU[i]
                    + (i == 3 ? ": " + tui.floor() : "");
            if (i == index) {
                c.line(label, SGR.REVERSE);
            } else {
                c.line(label);
            }
        }
        if (organisation()) {
            c.line("   d  Directory: your organisation's members");
        }
        c.line("   h  Connection doctor: what works on this network");
        if (tui.keys() instanceof Tui.Unlocked) {
            tui.messenger().listeningPort().ifPresent(port -> {
                c.blank();
                c.wrapped("Listening on UDP port " + port + ": contacts connect at any time (host:port); you are"
                        + " asked before a stranger is let in.");
            });
        }
        c.blank();
        c.line("Keys 1-7, or arrows and Enter. Escape or Ctrl-C quits.");
        if (!tui.chats().conversations().ordered().isEmpty()) {
            c.blank();
            c.line("Conversations (Alt+1..9, or Ctrl+N and Ctrl+P, opens one):");
            ConversationScreen.list(c, tui, null);
        }
        if (tui.keys() instanceof Tui.Unavailable u) {
            c.blank();
            for (String line : u.lines()) {
                c.wrapped(line);
            }
        }
        if (!doctor.isEmpty()) {
            c.blank();
            for (String line : doctor) {
                c.wrapped(Text.clean(line));
            }
        }
    }
}
