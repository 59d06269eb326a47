package org.securep2p.app.tui;

import org.securep2p.app.ChatEvent;

import com.googlecode.lanterna.input.KeyStroke;

/**
 * One full-screen view of the TUI: it draws itself into the content region and handles the keys typed while it
 * is up. Each screen keeps its own state; what several screens share (the messenger, the floor, the notice)
 * lives in {@link Tui}. Confined to the UI thread.
 *
 * <p>Not its job: the status bar, the notice rows, overlays (the {@link Tui} draws and routes those), or
 * calling the engine on the UI thread (every blocking call goes through {@link Tui#async}).
 */
sealed interface Screen permits MenuScreen, WaitScreen, ConnectScreen, ConversationScreen, LevelScreen,
        IdentityScreen, PeersScreen, DirectoryScreen {

    void draw(Canvas c);

    /** {@code moreInputFollows}: more keys are already queued (a paste), so Enter may be part of it. */
    void onKey(KeyStroke key, boolean moreInputFollows);

    /** An engine event the {@link Tui} did not consume; most screens ignore them. */
    default void onEvent(ChatEvent event) {
    }

    /** True while the screen shows a running clock and must be redrawn even without input. */
    default boolean ticking() {
        return false;
    }
}
