/**
 * The Double Ratchet with header encryption and a post-quantum ML-KEM step. Its public face is
 * {@code SessionCipher}, {@code SessionRecord}, {@code SessionStore} and {@code RatchetException}; the keys, the
 * state and the wire types stay package-private.
 */
module org.securep2p.ratchet {
    requires transitive org.securep2p.crypto;

    exports org.securep2p.ratchet;
}
