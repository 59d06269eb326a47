package org.securep2p.ratchet;

/** What KDF_RK derives: the next root key, the new chain's key, and the header key of the chain after it. */
record RootStep(RootKey root, ChainKey chain, HeaderKey nextHeader) {
}
