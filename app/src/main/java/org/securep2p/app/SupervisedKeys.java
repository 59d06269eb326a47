package org.securep2p.app;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HandshakeTranscript;
import org.securep2p.crypto.HybridSignature;
import org.securep2p.crypto.IdentityPublicKeys;
import org.securep2p.crypto.PreKeyBundle;
import org.securep2p.crypto.PrivateKeyOperations;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.keymanager.KeyManagerClient;
import org.securep2p.keymanager.KeyManagerProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key-manager child as the app uses it: every private-key operation goes to the current child; if the child
 * has died, the user is told, the child is restarted (same identity, from its sealed state), and the operation
 * is tried once more. Chat sessions do not depend on the child (the ratchet runs in the app), so they survive.
 */
final class SupervisedKeys implements PrivateKeyOperations {

    private static final Logger SECURITY = LoggerFactory.getLogger("securep2p.security");

    private interface Op<T> {
        T run(KeyManagerClient client) throws CryptoException;
    }

    private final KeyManagerProcess process;
    private final IdentityPublicKeys identity;
    private final Consumer<String> notice;
    /** The child's diagnostics log, for the reason a restart failed; null if there is none. */
    private final Path diagnosticsLog;

    SupervisedKeys(KeyManagerProcess process, Consumer<String> notice) {
        this(process, notice, null);
    }

    SupervisedKeys(KeyManagerProcess process, Consumer<String> notice, Path diagnosticsLog) {
        this.process = Objects.requireNonNull(process);
        this.identity = process.client().identity();
        this.notice = Objects.requireNonNull(notice);
        this.diagnosticsLog = diagnosticsLog;
    }

    private <T> T call(Op<T> op) throws CryptoException {
        try {
            return op.run(process.client());
        } catch (KeyManagerClient.UnavailableException e) {
            restart();
            return op.run(process.client());
        }
    }

    /** Restarts the child if it is not running (called by the watchdog and after a failed call). */
    synchronized void restartIfDead() {
        if (!process.isAlive()) {
            restart();
        }
    }

    private synchronized void restart() {
        SECURITY.warn("key manager (pid {}) stopped; restarting it", process.pid());
        notice.accept("The key manager stopped; it is being restarted (your keys are safe on disk).");
        try {
            process.restart();
        } catch (IOException e) {
            notice.accept(restartFailed(e.getMessage(), diagnosticsLog == null ? Optional.empty()
                    : KeyManagerDiagnostics.lastFailure(diagnosticsLog)));
            throw new java.io.UncheckedIOException("key manager restart failed: " + e.getMessage(), e);
        }
        if (!process.client().identity().equals(identity)) {
            // Never continue under another identity.
            throw new IllegalStateException("the restarted key manager serves another identity");
        }
        SECURITY.info("key manager restarted (pid {})", process.pid());
        notice.accept("The key manager is running again.");
        reportRollback(diagnosticsLog, line -> SECURITY.warn("{}", line), notice);
    }

    /** What the user is told when the restarted key manager found its key state older than one it had used. */
    static final String ROLLBACK_NOTICE = "The key manager found its key state older than one it had already used"
            + " (a restored backup?): its unused one-time prekeys were replaced. See security.log.";

    /**
     * Copies the "rollback detected" line of the child's latest start into {@code securityLog} and tells the
     * user, as the app's start does: a key manager restarted mid-session opens its state anew and may find it
     * rolled back.
     */
    static void reportRollback(Path diagnosticsLog, Consumer<String> securityLog, Consumer<String> notice) {
        if (diagnosticsLog == null) {
            return;
        }
        KeyManagerDiagnostics.rollbackInLatestStart(diagnosticsLog).ifPresent(line -> {
            securityLog.accept(line);
            notice.accept(ROLLBACK_NOTICE);
        });
    }

    /** What the user is told when a restart failed: the launcher's error, the child's reason, what to do. */
    static String restartFailed(String error, Optional<String> childFailure) {
        StringBuilder b = new StringBuilder("The key manager could not be restarted: ").append(error);
        childFailure.ifPresent(line -> b.append(" (").append(line.replaceFirst("^keymanager: cannot serve: ", ""))
                .append(')'));
        if (childFailure.filter(line -> line.contains("PASSPHRASE_REQUIRED")).isPresent()) {
            b.append(". It needs your passphrase, which is asked only while securep2p starts: quit and start it"
                    + " again.");
        }
        return b.toString();
    }

    SecretBytes storageKey(String purpose) throws CryptoException {
        return call(c -> c.storageKey(purpose));
    }

    @Override
    public IdentityPublicKeys identity() {
        return identity;
    }

    @Override
    public PreKeyBundle preKeyBundle() throws CryptoException {
        return call(KeyManagerClient::preKeyBundle);
    }

    @Override
    public SecretBytes agreeWithIdentityKey(byte[] peerPublicKey) throws CryptoException {
        return call(c -> c.agreeWithIdentityKey(peerPublicKey));
    }

    @Override
    public SecretBytes agreeWithSignedPreKey(int signedPreKeyId, byte[] peerPublicKey) throws CryptoException {
        return call(c -> c.agreeWithSignedPreKey(signedPreKeyId, peerPublicKey));
    }

    @Override
    public SecretBytes consumeOneTimePreKey(int oneTimePreKeyId, byte[] peerPublicKey) throws CryptoException {
        return call(c -> c.consumeOneTimePreKey(oneTimePreKeyId, peerPublicKey));
    }

    @Override
    public SecretBytes decapsulate(int kemPreKeyId, byte[] ciphertext) throws CryptoException {
        return call(c -> c.decapsulate(kemPreKeyId, ciphertext));
    }

    @Override
    public HybridSignature signHandshakeTranscript(HandshakeTranscript transcript) throws CryptoException {
        return call(c -> c.signHandshakeTranscript(transcript));
    }

    @Override
    public byte[] signTlsCertificateVerify(byte[] content) throws CryptoException {
        return call(c -> c.signTlsCertificateVerify(content));
    }

    @Override
    public byte[] signTransportCertificate(byte[] tbsCertificateDer) throws CryptoException {
        return call(c -> c.signTransportCertificate(tbsCertificateDer));
    }

    @Override
    public String toString() {
        return "SupervisedKeys[" + identity.fingerprint().shortForm() + "]";
    }
}
