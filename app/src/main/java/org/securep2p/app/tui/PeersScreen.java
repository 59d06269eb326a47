package org.securep2p.app.tui;

import java.util.List;

import org.securep2p.app.Messenger;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;

/** The trust store: every known peer, and forgetting one after a confirmation. */
final class PeersScreen implements Screen {

    private final Tui tui;
    /** Null while loading. */
    private List<Messenger.PeerInfo> peers;
    private int index;
    private boolean confirmUntrust;

    PeersScreen(Tui tui) {
        this.tui = tui;
        reload();
    }

    private void reload() {
        peers = null;
        confirmUntrust = false;
        tui.async(() -> List.copyOf(tui.messenger().peers()), list -> {
            peers = list;
            index = Math.min(index, Math.max(0, list.size() - 1));
        }, tui::showError);
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        char c = KeyInput.typed(key);
        if (confirmUntrust) {
            confirmUntrust = false;
            if (c == 'y' || c == 'Y') {
                String fp = peers.get(index).fingerprint();
                tui.async(() -> tui.messenger().decide(fp, Messenger.TrustDecision.UNTRUST), () -> {
                    tui.showInfo("Peer removed from the trust store.");
                    if (tui.screen() == this) {
                        reload();
                    }
                });
            }
            return;
        }
        if (KeyInput.isEscape(key)) {
            tui.showMenu();
        } else if (peers == null || peers.isEmpty()) {
            return;
        } else if (key.getKeyType() == KeyType.ArrowUp) {
            index = Math.max(0, index - 1);
        } else if (key.getKeyType() == KeyType.ArrowDown) {
            index = Math.min(peers.size() - 1, index + 1);
        } else if (c == 'u' || c == 'U') {
            confirmUntrust = true;
        }
    }

    @Override
    public void draw(Canvas c) {
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
            String label = (i == index ? " > " : "   ") + String.join(", ", p.names().stream().map(Text::clean)
                    .toList()) + (p.verified() ? " [verified]" : "") + "  " + Text.clean(p.fingerprint());
            if (i == index) {
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
}
