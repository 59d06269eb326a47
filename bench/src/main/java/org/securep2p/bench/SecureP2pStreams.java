package org.securep2p.bench;

import java.util.List;

/** securep2p's rows of {@link TransportBench}: filled in once the transport's public API lands. */
final class SecureP2pStreams {

    private SecureP2pStreams() {
    }

    static List<TransportBench.Row> rows(int samples, int bulkMiB) throws Exception {
        return List.of();
    }
}
