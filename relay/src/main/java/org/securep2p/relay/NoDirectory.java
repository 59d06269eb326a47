package org.securep2p.relay;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** The directory of a client that speaks none: every call fails with NOT_ALLOWED, and no request ever comes. */
final class NoDirectory implements MemberDirectory {

    private static <T> CompletableFuture<T> refused() {
        return CompletableFuture.failedFuture(new RelayException(RelayException.Reason.NOT_ALLOWED,
                "This relay connection offers no member directory."));
    }

    @Override
    public CompletableFuture<Void> publish(byte[] bundle) {
        return refused();
    }

    @Override
    public CompletableFuture<Void> unpublish() {
        return refused();
    }

    @Override
    public CompletableFuture<List<Listing>> members() {
        return refused();
    }

    @Override
    public CompletableFuture<Entry> lookup(byte[] fingerprint) {
        return refused();
    }

    @Override
    public CompletableFuture<Void> request(byte[] toFingerprint, byte[] payload) {
        return refused();
    }

    @Override
    public void onRequest(Consumer<IncomingRequest> sink) {
        // Nothing is ever pushed.
    }
}
