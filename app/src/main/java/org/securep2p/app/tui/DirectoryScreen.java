package org.securep2p.app.tui;

import java.util.List;

import org.securep2p.app.Messenger;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;

/**
 * The organisation's directory (PROTOCOL.md §23.3): every listed member with its presence; Enter opens the
 * highlighted member by certified name (a chat request), b blocks it, u unblocks it, r reloads.
 */
final class DirectoryScreen implements Screen {

    private final Tui tui;
    /** Null while loading. */
    private List<Messenger.MemberInfo> members;
    private int index;

    DirectoryScreen(Tui tui) {
        this.tui = tui;
        reload();
    }

    private void reload() {
        members = null;
        tui.async(() -> List.copyOf(tui.messenger().members()), list -> {
            members = list;
            index = Math.min(index, Math.max(0, list.size() - 1));
        }, e -> {
            members = List.of();
            tui.showError(e);
        });
    }

    @Override
    public void onKey(KeyStroke key, boolean moreInputFollows) {
        char c = Character.toLowerCase(KeyInput.typed(key));
        if (KeyInput.isEscape(key)) {
            tui.showMenu();
        } else if (c == 'r') {
            reload();
        } else if (members == null || members.isEmpty()) {
            return;
        } else if (key.getKeyType() == KeyType.ArrowUp) {
            index = Math.max(0, index - 1);
        } else if (key.getKeyType() == KeyType.ArrowDown) {
            index = Math.min(members.size() - 1, index + 1);
        } else if (KeyInput.isEnter(key)) {
            String name = members.get(index).name();
            tui.async(() -> tui.messenger().openMember(name), o -> tui.showInfo(o.alreadyConnected()
                    ? Text.clean(name) + " is connected already." : "Asked " + Text.clean(name) + " to talk…"),
                    tui::showError);
        } else if (c == 'b') {
            String name = members.get(index).name();
            tui.async(() -> tui.messenger().block(name), () -> {
                tui.showInfo("Blocked " + Text.clean(name) + ": their requests are dropped.");
                reload();
            });
        } else if (c == 'u') {
            String name = members.get(index).name();
            tui.async(() -> tui.messenger().unblock(name), () -> {
                tui.showInfo("Unblocked " + Text.clean(name) + ".");
                reload();
            });
        }
    }

    @Override
    public void draw(Canvas c) {
        c.line("Directory (arrows select, Enter: open, b: block, u: unblock, r: reload, Escape: back)", SGR.BOLD);
        c.blank();
        if (members == null) {
            c.line("Loading…");
            return;
        }
        if (members.isEmpty()) {
            c.line("Nobody is listed.");
            return;
        }
        for (int i = 0; i < members.size(); i++) {
            Messenger.MemberInfo m = members.get(i);
            String label = (i == index ? " > " : "   ") + (m.online() ? "● " : "○ ") + Text.clean(m.name())
                    + (m.online() ? "  online" : "  offline") + (m.blocked() ? "  [blocked]" : "")
                    + (m.conversation() ? "  [conversation]" : "");
            if (i == index) {
                c.line(label, SGR.REVERSE);
            } else {
                c.line(label);
            }
        }
    }
}
