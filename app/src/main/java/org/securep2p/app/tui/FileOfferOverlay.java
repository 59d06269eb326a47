package org.securep2p.app.tui;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.input.KeyStroke;

/**
 * A contact offers a file (PROTOCOL.md §24.5): a accepts (it is received into the downloads folder), d declines,
 * Escape decides later (the offer stays listed in the conversation, answered with {@code /accept} or
 * {@code /decline}). The name and media type are the peer's, drawn cleaned.
 */
final class FileOfferOverlay implements Overlay {

    private final Tui tui;
    private final Conversation conversation;
    private final Transfers.Transfer offer;

    FileOfferOverlay(Tui tui, Conversation conversation, Transfers.Transfer offer) {
        this.tui = tui;
        this.conversation = conversation;
        this.offer = offer;
    }

    /** True when this prompt is about transfer {@code id} (it ended meanwhile: the prompt goes). */
    boolean about(String id) {
        return offer.id.equalsIgnoreCase(id);
    }

    @Override
    public void onKey(KeyStroke key) {
        char c = Character.toLowerCase(KeyInput.typed(key));
        if (c == 'a') {
            tui.closeOverlay(this);
            tui.chats().answerOffer(conversation, offer, true);
        } else if (c == 'd') {
            tui.closeOverlay(this);
            tui.chats().answerOffer(conversation, offer, false);
        } else if (KeyInput.isEscape(key)) {
            tui.closeOverlay(this);
            tui.showInfo("The offer stays listed: /accept or /decline in the conversation with "
                    + conversation.name() + ".");
        }
    }

    @Override
    public boolean asksTheEngine() {
        return true;
    }

    @Override
    public void draw(Canvas c) {
        c.line(conversation.name() + " offers a file", SGR.BOLD);
        c.blank();
        c.wrapped("Name:  " + offer.name);
        c.line("Size:  " + FileText.size(offer.total));
        if (!offer.mediaType.isEmpty()) {
            c.line("Type:  " + offer.mediaType);
        }
        c.line("Id:    " + offer.id);
        c.blank();
        c.wrapped("Accepted, it is received into your downloads folder and checked before it is kept.");
        c.blank();
        c.line("a: accept   d: decline   Escape: later (/accept, /decline)", SGR.BOLD);
    }
}
