package org.securep2p.app.tui;

import com.googlecode.lanterna.input.KeyStroke;

/**
 * A dialog drawn over the current {@link Screen}, which takes every key until it closes itself: comparing the
 * safety number, deciding about a peer whose identity changed or a stranger on the fixed port, answering a chat
 * request or a file offer, or confirming a deletion. Confined to the UI thread.
 *
 * <p>Not its job: remembering the screen below (the {@link Tui} keeps it and shows it again).
 */
sealed interface Overlay permits VerifyOverlay, PeerChangedOverlay, ConfirmOverlay,
        ChatRequestOverlay, FileOfferOverlay, StrangerOverlay {

    void draw(Canvas c);

    void onKey(KeyStroke key);

    /**
     * True for a question the engine waits on (an identity change, a stranger, a chat request, a file offer): a
     * dialog that arrives while it is up waits behind it instead of hiding it, so no question is lost unanswered.
     */
    default boolean asksTheEngine() {
        return false;
    }
}
