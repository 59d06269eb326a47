package org.securep2p.crypto;

import java.time.Duration;
import java.time.Instant;

import static org.securep2p.crypto.CryptoException.Reason.STALE_PREKEY;

/** What signed prekeys and KEM prekeys share: the signed message and the validity window. */
final class PreKeys {

    /**
     * Signed prekeys rotate weekly and old ones stay valid for a grace period; anything older than five weeks
     * is refused, so that a prekey whose private half leaked long ago cannot be replayed in a stale bundle.
     */
    static final Duration MAX_AGE = Duration.ofDays(35);
    /** Clocks of ordinary machines drift; a prekey dated more than a day ahead is refused. */
    static final Duration MAX_CLOCK_SKEW = Duration.ofDays(1);

    /**
     * 9999-12-31T23:59:59Z: a creation time must be a date people can write down. Larger values are refused
     * while parsing, so no later date arithmetic can overflow.
     */
    static final long MAX_TIMESTAMP = 253_402_300_799L;

    private PreKeys() {
    }

    static long readTimestamp(StrictReader r, String field) throws CryptoException {
        long t = r.u64(field);
        if (t > MAX_TIMESTAMP) {
            throw new CryptoException(CryptoException.Reason.BAD_ENCODING, field + " beyond year 9999");
        }
        return t;
    }

    static byte[] signedMessage(IdentityPublicKeys owner, byte[] body) {
        return Bytes.concat(Labels.terminated(Labels.PREKEY_SIGNATURE), owner.fingerprint().bytesUnsafe(), body);
    }

    static void checkValidity(long createdAtSeconds, Instant now, String what) throws CryptoException {
        Instant created = Instant.ofEpochSecond(createdAtSeconds);
        if (created.isAfter(now.plus(MAX_CLOCK_SKEW))) {
            throw new CryptoException(STALE_PREKEY, what + " is dated in the future");
        }
        if (created.isBefore(now.minus(MAX_AGE))) {
            throw new CryptoException(STALE_PREKEY, what + " is older than " + MAX_AGE.toDays() + " days");
        }
    }
}
