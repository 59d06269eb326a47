package org.securep2p.app;

/**
 * What the file engine needs of a live session with a contact (PROTOCOL.md §24.5): chunks and their acknowledgements
 * as frames beside the ratchet, file control messages through it, and whether the session still stands. A
 * {@link ChatSession} is one; the engine never sees more of it.
 */
interface FileLink {

    /** True until the session ends. */
    boolean isLive();

    /** Sends a frame outside the ratchet (CHUNK, CHUNK_ACK); false when the session is over or the send failed. */
    boolean sendFrame(ChatFrame frame);

    /** Sends a payload through the ratchet; false when the session is over. */
    boolean sendControl(ChatPayload payload) throws AppException;
}
