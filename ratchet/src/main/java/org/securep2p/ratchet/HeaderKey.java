package org.securep2p.ratchet;

/**
 * HKs, HKr, NHKs or NHKr of the specification: encrypts the headers of one chain, and names that chain among
 * the skipped keys.
 */
final class HeaderKey extends RatchetKey {

    /** Takes ownership of {@code bytes}. */
    HeaderKey(byte[] bytes) {
        super(bytes);
    }
}
