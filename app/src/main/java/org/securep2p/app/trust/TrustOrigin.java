package org.securep2p.app.trust;

/** How a peer's identity was first authenticated; kept from the first contact on, whatever happens later. */
public enum TrustOrigin {
    /** The fingerprint came with a connection code the user received out of band. */
    CODE,
    /** Nothing vouched for the first contact: the identity was accepted as it presented itself. */
    TRUST_ON_FIRST_USE,
    /** A certificate authority the user configured vouched for the identity. */
    CA,
}
