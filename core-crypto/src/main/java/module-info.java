/**
 * securep2p's cryptographic core: identities, prekeys, the hybrid X3DH + ML-KEM-1024 handshake, fingerprints and
 * safety numbers. Depends on nothing of ours; its primitives are Bouncy Castle's lightweight API (the
 * {@code org.bouncycastle.provider} module of bcprov) and the JDK.
 */
module org.securep2p.crypto {
    requires org.bouncycastle.provider;

    exports org.securep2p.crypto;
}
