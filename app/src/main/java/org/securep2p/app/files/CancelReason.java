package org.securep2p.app.files;

import org.securep2p.crypto.CryptoException;

/**
 * Why a side ends a transfer with CANCEL (PROTOCOL.md §24.2). The codes are the wire's; {@link #of} refuses any
 * other with BAD_ENCODING. The sentence is ours, for the user, and names no peer data.
 */
public enum CancelReason {
    CANCELLED(1, "The transfer was cancelled."),
    DECLINED(2, "The file was declined."),
    TOO_LARGE(3, "The file is larger than the receiver accepts."),
    NO_SPACE(4, "The receiver's disk is full."),
    NOT_VERIFIED(5, "The received file did not match what was offered."),
    REFUSED(6, "The offer was refused: its name or sizes are not acceptable."),
    FAILED(7, "The sender's file changed or vanished."),
    /** The receiver could not write or keep the file (not a full disk: that is NO_SPACE). */
    SAVE_FAILED(8, "The receiver could not save the file.");

    private final int code;
    private final String sentence;

    CancelReason(int code, String sentence) {
        this.code = code;
        this.sentence = sentence;
    }

    public int code() {
        return code;
    }

    /** A short sentence for the user. */
    public String sentence() {
        return sentence;
    }

    /** The reason with wire code {@code code}; BAD_ENCODING for any other. */
    public static CancelReason of(int code) throws CryptoException {
        for (CancelReason r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        throw new CryptoException(CryptoException.Reason.BAD_ENCODING, "file message: unknown cancel reason " + code);
    }
}
