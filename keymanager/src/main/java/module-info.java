/**
 * securep2p's key manager: the separate process that holds every private key, its client and launcher, and the
 * master-key stores (OS keyring or passphrase) that seal the keys at rest. One package, exported whole: the app
 * uses the client, the process launcher, the child's main class, the role and the passphrase prompt, and
 * {@code SecureFiles}; everything else in it is package-private.
 */
module org.securep2p.keymanager {
    // KeyManagerClient and KeyManagerProcess take and return SecretBytes, PrivateKeyOperations, IdentityPublicKeys
    // and CryptoException.
    requires transitive org.securep2p.crypto;
    // java-keyring has no module descriptor: "java.keyring" is its automatic module name (jar --describe-module).
    requires java.keyring;
    // ProcessHardening calls prctl/mlockall through JNA (brought by java-keyring); automatic module "com.sun.jna".
    requires com.sun.jna;
    requires com.nulabinc.zxcvbn;
    // Argon2id for the passphrase fallback (PassphraseMasterKeyStore).
    requires org.bouncycastle.provider;
    // The IPC socket checks its peer's uid (UnixDomainPrincipal, ExtendedSocketOptions.SO_PEERCRED).
    requires jdk.net;

    exports org.securep2p.keymanager;
}
