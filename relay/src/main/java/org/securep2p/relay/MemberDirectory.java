package org.securep2p.relay;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * An organisation relay's member directory and chat requests, as one member's client sees them (PROTOCOL.md
 * §23.3–23.4). Offered by a {@link RelayClient} connected with a member certificate to a relay in organisation
 * mode; an open relay fails every call with {@link RelayException.Reason#NOT_ALLOWED}. Nothing here is trusted:
 * the relay may lie, so a caller checks every {@link Entry} and {@link IncomingRequest} against its CA before
 * acting on it. Futures complete on the client's event thread, as {@link RelayClient}'s do.
 */
public interface MemberDirectory {

    /** Publishes this member (the certificate it authenticated with) with {@code bundle}, replacing an older entry. */
    CompletableFuture<Void> publish(byte[] bundle);

    /** Removes this member's entry; succeeds also when there is none. */
    CompletableFuture<Void> unpublish();

    /** Every published, unrevoked member with its presence, sorted by name. */
    CompletableFuture<List<Listing>> members();

    /** The entry of {@code fingerprint}, or UNKNOWN_MEMBER. */
    CompletableFuture<Entry> lookup(byte[] fingerprint);

    /** Sends {@code payload} to every connection of the member {@code toFingerprint}, or NOT_ONLINE. */
    CompletableFuture<Void> request(byte[] toFingerprint, byte[] payload);

    /** Where pushed requests go (replacing the previous sink); until one is set they are dropped. */
    void onRequest(Consumer<IncomingRequest> sink);

    /** One line of the member list: what the relay claims, unchecked. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; never compared
    record Listing(String name, byte[] fingerprint, boolean online) {
        public Listing {
            fingerprint = fingerprint.clone();
        }

        @Override
        public byte[] fingerprint() {
            return fingerprint.clone();
        }
    }

    /** A published entry: the member's certificate (DER) and prekey bundle, as the relay gave them, unchecked. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; never compared
    record Entry(byte[] certificate, byte[] bundle, Instant published) {
        public Entry {
            certificate = certificate.clone();
            bundle = bundle.clone();
        }

        @Override
        public byte[] certificate() {
            return certificate.clone();
        }

        @Override
        public byte[] bundle() {
            return bundle.clone();
        }

        @Override
        public String toString() {
            return "Entry[" + certificate.length + "-byte certificate, " + bundle.length + "-byte bundle]";
        }
    }

    /** A chat request pushed by the relay: the sender's certificate (DER) as the relay stamped it, and the payload. */
    @SuppressWarnings("ArrayRecordComponent") // copied in and out; never compared
    record IncomingRequest(byte[] fromCertificate, byte[] payload) {
        public IncomingRequest {
            fromCertificate = fromCertificate.clone();
            payload = payload.clone();
        }

        @Override
        public byte[] fromCertificate() {
            return fromCertificate.clone();
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public String toString() {
            return "IncomingRequest[" + payload.length + " bytes]";
        }
    }
}
