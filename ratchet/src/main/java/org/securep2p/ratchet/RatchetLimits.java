package org.securep2p.ratchet;

import java.time.Duration;

/** Every bound of the ratchet, each with its reason. */
final class RatchetLimits {

    /**
     * How far ahead in one chain a message may be (skipped keys derived in one go). Large enough for any
     * realistic burst of loss or reordering, small enough that one forged header costs at most ~1,000 HMACs.
     */
    static final int MAX_SKIP = 1000;

    /**
     * Skipped message keys kept per session, oldest evicted first: bounds memory (~70 KB) and the window in
     * which a delayed message can still be read.
     */
    static final int MAX_SKIPPED_KEYS = 2000;

    /**
     * Receiving chains whose header keys are remembered (for skipped keys and to recognise duplicates): a
     * message must be tried against each, so this bounds the work one incoming message can cause.
     */
    static final int MAX_OLD_RECEIVING_CHAINS = 16;

    /**
     * Header keys one received message can make the receiver try: the current receiving chain's, those of the
     * earlier chains (each tried once, whether it still has skipped keys or is only remembered to recognise
     * duplicates) and the next chain's. Each trial is an AEAD decryption of the header.
     */
    static final int MAX_HEADER_TRIALS = 1 + MAX_OLD_RECEIVING_CHAINS + 1;

    /** The largest plaintext one message carries: the transport fragments anything larger. */
    static final int MAX_PLAINTEXT = 1 << 20;

    /**
     * The post-quantum KEM step is due after this many messages (sent plus received) since this party's last
     * one, as Apple's PQ3 rekeys at most every ~50 messages: it bounds the bandwidth (3,136 bytes per KEM
     * chain's messages) while capping what a quantum attacker who also holds the state can read.
     */
    static final int KEM_REKEY_MESSAGES = 50;

    /** ...and at the latest this long after it, however few messages were exchanged (PQ3: at least every 7 days). */
    static final Duration KEM_REKEY_INTERVAL = Duration.ofDays(7);

    /**
     * How far in the future a stored record's last KEM step may lie before the record is refused as corrupt:
     * a clock corrected backwards by NTP or a time-zone mistake must not lock the user out of a session, but a
     * step dated later than that would postpone the time-driven KEM step (10.6) by as much.
     */
    static final Duration MAX_CLOCK_STEP_BACK = Duration.ofDays(1);

    private RatchetLimits() {
    }
}
