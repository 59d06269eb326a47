package org.securep2p.transport.reliable;

/**
 * A snapshot of one reliable channel's counters and congestion state, for tests, benchmarks and
 * diagnostics. Values are consistent with each other (taken under the channel's lock) but stale at once.
 *
 * @param packetsSent       datagrams sent, of every type
 * @param packetsReceived   datagrams that decoded and were accepted
 * @param retransmissions   segments sent again after being declared lost
 * @param lossesDetected    packets declared lost by the packet or time threshold (fast retransmit)
 * @param rtoExpirations    retransmission timeouts
 * @param droppedMalformed  datagrams that did not decode (truncated, unknown version or type, bad fields)
 * @param droppedForeign    well-formed datagrams with another connection id
 * @param droppedInvalid    well-formed datagrams that contradict the connection (beyond the window, an
 *                          impossible packet number or acknowledgement) or found no room; never acknowledged
 * @param duplicates        duplicate packets and stream bytes already received
 * @param keepalivesSent    PINGs sent because the channel was idle (window probes are not counted)
 * @param srttMicros        smoothed RTT, or -1 before the first sample
 * @param rtoMillis         current retransmission timeout, backoff included
 * @param cwndBytes         congestion window
 * @param bytesInFlight     bytes of ack-eliciting packets neither acknowledged nor declared lost
 * @param sendBuffered      bytes written by the application and not yet acknowledged
 * @param droppedUnauthenticated datagrams dropped unread for their tag (PROTOCOL.md 13.9): a tag that failed,
 *                          an untagged packet after the peer's first valid tag, an untagged CLOSE once we have keys
 * @param ignoredAcks       accepted packets whose ACK block named a packet we never sent: the block was ignored,
 *                          the rest of the packet taken
 * @param keyed             our packet keys are installed: everything we send is tagged
 * @param peerTags          a packet with a valid tag has arrived: nothing untagged is accepted any more
 */
public record ReliableStats(long packetsSent, long packetsReceived, long retransmissions, long lossesDetected,
                     long rtoExpirations, long droppedMalformed, long droppedForeign, long droppedInvalid,
                     long duplicates, long keepalivesSent, long srttMicros, long rtoMillis, long cwndBytes,
                     long bytesInFlight, long sendBuffered, long droppedUnauthenticated, long ignoredAcks,
                     boolean keyed, boolean peerTags) {
}
