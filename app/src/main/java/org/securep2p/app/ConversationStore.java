package org.securep2p.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

import org.securep2p.crypto.Aead;
import org.securep2p.crypto.AeadAlgorithm;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.ratchet.SessionRecord;

/**
 * One sealed file per peer under {@code conversations/}: {@code "SP2C" || u8 1 || nonce || ChaCha20-Poly1305
 * ciphertext}, associated data {@code "securep2p/v1/app/conversation\0" || peer fingerprint}, so a file copied
 * to another peer's name does not open ({@code docs/PROTOCOL.md} §20.6). Replaced atomically on every commit.
 */
final class ConversationStore implements AutoCloseable {

    private static final byte[] MAGIC = "SP2C".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_FILE = 96 << 20;
    private static final String AD_LABEL = "securep2p/v1/app/conversation\0";

    private final Path dir;
    private final Aead aead;
    private final SecureRandom random;
    private final Clock clock;

    ConversationStore(Path dir, SecretBytes storageKey, SecureRandom random, Clock clock) throws IOException {
        this.dir = dir;
        this.random = random;
        this.clock = clock;
        try {
            this.aead = Aead.withRandomNonces(AeadAlgorithm.CHACHA20_POLY1305, storageKey, random);
        } catch (CryptoException e) {
            throw new IllegalArgumentException("storage key must be 32 bytes", e);
        }
        Home.createPrivateDirectory(dir);
    }

    /** The stored conversation with {@code peer}, if any. A file that does not open is an error, not "none". */
    Optional<Conversation> load(Fingerprint peer) throws AppException {
        Path file = fileFor(peer);
        byte[] sealed;
        try {
            sealed = AtomicFile.read(file, MAX_FILE);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, "cannot read " + file.getFileName(), e);
        }
        try {
            if (sealed.length < MAGIC.length + 1 || !java.util.Arrays.equals(sealed, 0, MAGIC.length, MAGIC, 0,
                    MAGIC.length) || sealed[MAGIC.length] != 1) {
                throw new CryptoException(CryptoException.Reason.UNKNOWN_VERSION, "not a conversation file");
            }
            byte[] body = java.util.Arrays.copyOfRange(sealed, MAGIC.length + 1, sealed.length);
            byte[] plain = aead.decrypt(body, associatedData(peer));
            try {
                Conversation c = Conversation.decode(this, plain, random, clock);
                if (!c.peer().equals(peer)) {
                    throw new CryptoException(CryptoException.Reason.IDENTITY_MISMATCH, "conversation of another peer");
                }
                return Optional.of(c);
            } finally {
                java.util.Arrays.fill(plain, (byte) 0);
            }
        } catch (CryptoException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, "the conversation file "
                    + file.getFileName() + " does not open (" + e.reason() + "); it was left untouched", e);
        }
    }

    /** Starts (or replaces) the conversation with {@code peer} from a fresh ratchet session. */
    Conversation create(Fingerprint peer, String peerName, byte[] sessionId, SessionRecord record) throws AppException {
        SecurityLevel level = record.level();
        Conversation c = new Conversation(this, peer, peerName, sessionId, level, record.encode(), 1, 0, List.of(),
                random, clock);
        try {
            write(c, record.encode());
        } catch (IOException e) {
            throw new AppException(AppException.Reason.STORAGE_FAILED, "could not save the new session", e);
        }
        return c;
    }

    void write(Conversation c, byte[] recordBytes) throws IOException {
        byte[] plain = c.encodeWith(recordBytes);
        try {
            byte[] sealed = aead.encrypt(plain, associatedData(c.peer()));
            byte[] out = new byte[MAGIC.length + 1 + sealed.length];
            System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
            out[MAGIC.length] = 1;
            System.arraycopy(sealed, 0, out, MAGIC.length + 1, sealed.length);
            AtomicFile.write(fileFor(c.peer()), out);
        } catch (CryptoException e) {
            throw new IOException("sealing failed: " + e.reason(), e);
        } finally {
            java.util.Arrays.fill(plain, (byte) 0);
        }
    }

    void delete(Fingerprint peer) throws IOException {
        Files.deleteIfExists(fileFor(peer));
    }

    private Path fileFor(Fingerprint peer) {
        return dir.resolve(java.util.HexFormat.of().formatHex(peer.toBytes()) + ".conv");
    }

    private static byte[] associatedData(Fingerprint peer) {
        byte[] label = AD_LABEL.getBytes(StandardCharsets.US_ASCII);
        byte[] fp = peer.toBytes();
        byte[] ad = new byte[label.length + fp.length];
        System.arraycopy(label, 0, ad, 0, label.length);
        System.arraycopy(fp, 0, ad, label.length, fp.length);
        return ad;
    }

    @Override
    public void close() {
        aead.close();
    }
}
