package org.securep2p.relay;

import javax.net.ssl.X509ExtendedTrustManager;

/** Lets tests of other packages put the pinning trust manager into a context of other groups. */
public final class PinnedTrustAccess {

    private PinnedTrustAccess() {
    }

    public static X509ExtendedTrustManager trustManager(RelayAddress address) {
        return PinnedTrust.trustManager(address);
    }
}
