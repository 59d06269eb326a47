package org.securep2p.app.files;

import java.util.Objects;

/**
 * Why a file offer, a chunk or a transfer step was refused (PROTOCOL.md §24.7). Each reason is one a caller acts on
 * differently: a bad chunk is asked for again, a bad name or size refuses the offer, a full disk ends the transfer.
 * The message is a sentence of ours; it never echoes peer bytes.
 */
public final class FileTransferException extends Exception {

    private static final long serialVersionUID = 1L;

    /** The typed reasons of §24.7. */
    public enum Reason {
        /** The offered name tries to leave the downloads folder ({@code /}, {@code \}, NUL, {@code .}, {@code ..}). */
        BAD_NAME,
        /** Over {@code files.max_mb}, or a size or chunk count the format does not allow. */
        TOO_LARGE,
        /** A chunk, HAVE, DONE or CANCEL for a transfer not known with this peer. */
        UNKNOWN_FILE,
        /** A chunk index at or past the offer's chunk count. */
        BAD_INDEX,
        /** A chunk whose AEAD does not open, or whose length or path depth is wrong for its index. */
        BAD_CHUNK,
        /** A chunk whose audit path does not lead to the offer's Merkle root. */
        BAD_PROOF,
        /** Every chunk verified, but the whole file's SHA-256 is not the offer's. */
        NOT_VERIFIED,
        /** The disk filled while writing the file. */
        NO_SPACE,
        /** The sender's file changed or vanished since it was offered. */
        SOURCE_CHANGED,
        /** Any other local storage failure. */
        STORAGE_FAILED
    }

    private final Reason reason;

    public FileTransferException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason);
    }

    public FileTransferException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason);
    }

    public Reason reason() {
        return reason;
    }
}
