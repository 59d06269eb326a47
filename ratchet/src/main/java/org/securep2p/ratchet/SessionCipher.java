package org.securep2p.ratchet;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.AbstractMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.securep2p.crypto.Aead;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.MlKem1024KeyPair;
import org.securep2p.crypto.SecretBytes;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;
import org.securep2p.crypto.X25519KeyPair;

import static org.securep2p.ratchet.RatchetException.Reason.BAD_MAC;
import static org.securep2p.ratchet.RatchetException.Reason.DUPLICATE;
import static org.securep2p.ratchet.RatchetException.Reason.MALFORMED;
import static org.securep2p.ratchet.RatchetException.Reason.NOT_YET_SENDABLE;
import static org.securep2p.ratchet.RatchetException.Reason.NO_SESSION;
import static org.securep2p.ratchet.RatchetException.Reason.TOO_FAR_AHEAD;
import static org.securep2p.ratchet.RatchetException.Reason.WRONG_LEVEL;

/**
 * Encrypts and decrypts the messages of one session: Signal's Double Ratchet with header encryption (ENHANCED
 * and above), a post-quantum ML-KEM-1024 step (QUANTUM_RESISTANT), or a symmetric-key ratchet (STANDARD), as
 * specified in {@code docs/PROTOCOL.md}, section 10.
 *
 * <p>Guarantees: every change is all-or-nothing. A message that is refused (tampered, duplicate, too far
 * ahead, malformed, another level) leaves the stored session exactly as it was. Encryption stores the
 * advanced state, through the {@link SessionStore}, <em>before</em> the message key is used, so no crash or
 * failed write can make a key and nonce encrypt two messages; and every message's key and nonce also depend
 * on 32 fresh random bytes sent with it, so not even a state restored from an old copy (which repeats chain
 * positions) can. Decryption stores the state after the message has authenticated and before the plaintext
 * is returned.
 *
 * <p>Not its job: transport, ordering, or knowing who the peer is. One cipher per session; calls are
 * serialised.
 */
public final class SessionCipher {

    private static final byte[] SYMMETRIC_CHAIN = new byte[Kdf.KEY_LENGTH];

    private final SessionStore store;
    private final String sessionId;
    private final SecureRandom random;
    private final Clock clock;
    /** Header keys tried by the last {@link #decrypt} (at most {@link RatchetLimits#MAX_HEADER_TRIALS}); for tests. */
    private int headerTrials;

    public SessionCipher(SessionStore store, String sessionId, SecureRandom random, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.sessionId = Objects.requireNonNull(sessionId, "sessionId");
        this.random = Objects.requireNonNull(random, "random");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The wire message for {@code plaintext} (at most 1 MiB). */
    public synchronized byte[] encrypt(byte[] plaintext) throws RatchetException {
        Objects.requireNonNull(plaintext, "plaintext");
        if (plaintext.length > RatchetLimits.MAX_PLAINTEXT) {
            throw new RatchetException(MALFORMED, "plaintext larger than " + RatchetLimits.MAX_PLAINTEXT + " bytes");
        }
        SessionRecord current = load();
        SessionState s = current.state.copy();
        MessageKey mk = null;
        boolean stored = false;
        try {
            byte[] headerField;
            if (!s.headerEncrypted()) {
                mk = advanceSend(s);
                headerField = new StrictWriter().u32(s.sendN - 1).toByteArray();
            } else {
                if (s.sendChainKey == null) {
                    throw new RatchetException(NOT_YET_SENDABLE, "the responder sends after the initiator's first message");
                }
                Header header = new Header(s.dhSelf.publicKey(), s.previousSendN, s.sendN,
                        s.sendKemPublicKey ? s.kemSelf.publicKey() : null, s.sendKemCiphertext);
                mk = advanceSend(s);
                try (SecretBytes hk = s.sendHeaderKey.secret();
                        Aead aead = Aead.withRandomNonces(WireMessage.headerAead(s.level), hk, random)) {
                    headerField = aead.encrypt(header.encode(), s.headerAssociatedData);
                }
            }
            if (s.kemSteps()) {
                s.messagesSinceKemStep++;
            }
            // Fresh for every message and mixed into its key and nonce: a state restored from an old copy repeats
            // a chain position (and so a message key) but never a key and nonce pair.
            byte[] messageRandom = new byte[WireMessage.RANDOM_LENGTH];
            random.nextBytes(messageRandom);
            byte[] prefix = new WireMessage(s.level, headerField, messageRandom, null).prefix();
            // The advanced state is stored before the message key is used at all: if storing fails, nothing was
            // encrypted with it; if the process dies after storing, the key is simply never used.
            store.store(sessionId, new SessionRecord(s));
            stored = true;
            byte[] body = seal(s, mk, messageRandom, prefix, plaintext);
            current.state.wipeSecretsNotIn(s);
            return new StrictWriter().bytes(prefix).var32(body).toByteArray();
        } catch (CryptoException e) {
            discard(current, s, stored);
            throw new RatchetException(RatchetException.Reason.CORRUPT_STATE, "encryption failed: " + e.getMessage(), e);
        } catch (RatchetException e) {
            discard(current, s, stored);
            throw e;
        } finally {
            RatchetKey.wipe(mk);
        }
    }

    /** The plaintext of {@code wireMessage}, exactly once. */
    public synchronized byte[] decrypt(byte[] wireMessage) throws RatchetException {
        WireMessage m = WireMessage.decode(Objects.requireNonNull(wireMessage, "wireMessage"));
        SessionRecord current = load();
        if (m.level() != current.state.level) {
            throw new RatchetException(WRONG_LEVEL, "message at " + m.level() + " for a " + current.state.level
                    + " session");
        }
        SessionState s = current.state.copy();
        MessageKey mk = null;
        headerTrials = 0;
        try {
            mk = s.headerEncrypted() ? doubleRatchetKey(s, current.state, m) : symmetricKey(s, current.state, m);
            byte[] plaintext;
            try {
                plaintext = open(s, mk, m.random(), m.prefix(), m.body());
            } catch (CryptoException e) {
                throw new RatchetException(BAD_MAC, "message authentication failed");
            }
            if (s.kemSteps()) {
                s.messagesSinceKemStep++;
            }
            commit(current, s);
            return plaintext;
        } catch (CryptoException e) {
            s.wipeSecretsNotIn(current.state);
            throw new RatchetException(BAD_MAC, "message refused: " + e.reason(), e);
        } catch (RatchetException e) {
            s.wipeSecretsNotIn(current.state);
            throw e;
        } finally {
            RatchetKey.wipe(mk);
        }
    }

    // ------------------------------------------------------------------------------------------------------

    private SessionRecord load() throws RatchetException {
        return store.load(sessionId).orElseThrow(() -> new RatchetException(NO_SESSION, "no session " + sessionId));
    }

    /** After a failure, wipes whichever state is not the stored one. */
    private static void discard(SessionRecord current, SessionState next, boolean nextStored) {
        if (nextStored) {
            current.state.wipeSecretsNotIn(next);
        } else {
            next.wipeSecretsNotIn(current.state);
        }
    }

    private void commit(SessionRecord current, SessionState next) throws RatchetException {
        store.store(sessionId, new SessionRecord(next));
        current.state.wipeSecretsNotIn(next);
    }

    private static byte[] bodyAd(SessionState s, byte[] prefix) {
        return new StrictWriter().bytes(s.associatedData).bytes(prefix).toByteArray();
    }

    private static byte[] seal(SessionState s, MessageKey mk, byte[] messageRandom, byte[] prefix,
            byte[] plaintext) throws CryptoException {
        try (SecretBytes key = mk.secret();
                Aead aead = Aead.fromMessageKey(s.level.messageAead(), s.level.kdfHash(), key, messageRandom)) {
            return aead.encrypt(plaintext, bodyAd(s, prefix));
        }
    }

    private static byte[] open(SessionState s, MessageKey mk, byte[] messageRandom, byte[] prefix, byte[] body)
            throws CryptoException {
        try (SecretBytes key = mk.secret();
                Aead aead = Aead.fromMessageKey(s.level.messageAead(), s.level.kdfHash(), key, messageRandom)) {
            return aead.decrypt(body, bodyAd(s, prefix));
        }
    }

    /** KDF_CK on the sending chain: returns MK, advances CKs and Ns. */
    private static MessageKey advanceSend(SessionState s) {
        ChainStep step = s.sendChainKey.step(s.level);
        s.sendChainKey = step.next();
        s.sendN++;
        return step.message();
    }

    /** KDF_CK on the receiving chain; wipes an intermediate chain key that {@code original} does not hold. */
    private static MessageKey advanceRecv(SessionState s, SessionState original) {
        ChainKey old = s.recvChainKey;
        ChainStep step = old.step(s.level);
        if (old != original.recvChainKey) {
            old.wipe();
        }
        s.recvChainKey = step.next();
        s.recvN++;
        return step.message();
    }

    /** Stores the keys of messages {@code Nr .. until-1} of the current receiving chain as skipped. */
    private static void skip(SessionState s, SessionState original, byte[] chain, int until) throws RatchetException {
        if (s.recvChainKey == null) {
            return;
        }
        if ((long) until - s.recvN > RatchetLimits.MAX_SKIP) {
            throw new RatchetException(TOO_FAR_AHEAD, (until - s.recvN) + " messages ahead, limit "
                    + RatchetLimits.MAX_SKIP);
        }
        List<Map.Entry<SkippedKeys.Slot, MessageKey>> keys = new ArrayList<>();
        while (s.recvN < until) {
            int n = s.recvN;
            keys.add(new AbstractMap.SimpleEntry<>(new SkippedKeys.Slot(new SkippedKeys.Key(chain), n),
                    advanceRecv(s, original)));
        }
        s.skipped = s.skipped.plus(keys, original.skipped);
    }

    private static MessageKey takeSkipped(SessionState s, byte[] chain, int n) {
        MessageKey mk = s.skipped.get(chain, n);
        if (mk != null) {
            s.skipped = s.skipped.minus(chain, n);
            return mk.copy();
        }
        return null;
    }

    private static MessageKey symmetricKey(SessionState s, SessionState original, WireMessage m)
            throws RatchetException {
        byte[] h = m.headerField();
        if (h.length != 4) {
            throw new RatchetException(MALFORMED, "STANDARD header must be 4 bytes");
        }
        int n;
        try {
            StrictReader r = new StrictReader(h, "STANDARD header");
            n = r.u32("N"); // refuses a number above Integer.MAX_VALUE
            r.expectEnd();
        } catch (CryptoException e) {
            throw new RatchetException(MALFORMED, "message number out of range", e);
        }
        return keyInCurrentChain(s, original, SYMMETRIC_CHAIN, n);
    }

    private MessageKey doubleRatchetKey(SessionState s, SessionState original, WireMessage m)
            throws RatchetException, CryptoException {
        byte[] ad = s.headerAssociatedData;
        // One copy of the header field for every trial below (WireMessage hands out copies; a KEM header is 3 KB).
        byte[] field = m.headerField();
        // 1. The current receiving chain.
        if (s.recvHeaderKey != null) {
            Header h = tryHeader(s, s.recvHeaderKey, field, ad);
            if (h != null) {
                if (s.dhRemote == null) {
                    // The responder's first message from the initiator: learn its ratchet (and KEM) key.
                    s.dhRemote = h.dh();
                    rememberKemKey(s, h);
                } else if (!Arrays.equals(h.dh(), s.dhRemote)) {
                    throw new RatchetException(MALFORMED, "header of the current chain names another ratchet key");
                }
                MessageKey mk = keyInCurrentChain(s, original, s.recvHeaderKey.unsafeBytes(), h.n());
                if (s.sendChainKey == null) {
                    sendingStep(s);
                }
                return mk;
            }
        }
        // 2. Earlier chains with skipped keys.
        List<byte[]> tried = new ArrayList<>();
        for (byte[] chain : s.skipped.chains()) {
            if (s.recvHeaderKey != null && s.recvHeaderKey.equalsConstantTime(chain)) {
                continue;
            }
            tried.add(chain);
            Header h = tryHeader(s, chain, field, ad);
            if (h != null) {
                MessageKey mk = takeSkipped(s, chain, h.n());
                if (mk == null) {
                    throw new RatchetException(DUPLICATE, "message of an earlier chain was already received or is lost");
                }
                return mk;
            }
        }
        // 3. The next chain: a DH (and maybe KEM) ratchet step.
        Header h = tryHeader(s, s.nextRecvHeaderKey, field, ad);
        if (h != null) {
            if ((s.recvChainKey != null && (long) h.pn() - s.recvN > RatchetLimits.MAX_SKIP)
                    || h.n() > RatchetLimits.MAX_SKIP) {
                throw new RatchetException(TOO_FAR_AHEAD, "message too far ahead in a new chain");
            }
            if (s.recvChainKey != null) {
                skip(s, original, s.recvHeaderKey.unsafeBytes(), h.pn());
            }
            ratchetStep(s, h);
            return keyInCurrentChain(s, original, s.recvHeaderKey.unsafeBytes(), h.n());
        }
        // 4. Chains whose keys are all used: a header that opens under one of them is a replay. A chain that
        // still has skipped keys was tried in step 2 already: trying it again would let 16 such chains double
        // the work one message causes (34 trials instead of 1 + 16 + 1).
        for (HeaderKey old : s.oldRecvHeaderKeys) {
            if (tried.stream().anyMatch(old::equalsConstantTime)) {
                continue;
            }
            if (tryHeader(s, old, field, ad) != null) {
                throw new RatchetException(DUPLICATE, "message of an earlier chain was already received");
            }
        }
        throw new RatchetException(BAD_MAC, "header does not open under any header key of this session");
    }

    private static MessageKey keyInCurrentChain(SessionState s, SessionState original, byte[] chain, int n)
            throws RatchetException {
        if (n < s.recvN) {
            MessageKey mk = takeSkipped(s, chain, n);
            if (mk == null) {
                throw new RatchetException(DUPLICATE, "message " + n + " was already received");
            }
            return mk;
        }
        skip(s, original, chain, n);
        return advanceRecv(s, original);
    }

    /** DHRatchetHE of the specification, with the KEM secret mixed into the receiving and sending root steps. */
    private void ratchetStep(SessionState s, Header h) throws CryptoException, RatchetException {
        if (s.recvHeaderKey != null) {
            List<HeaderKey> old = new ArrayList<>(s.oldRecvHeaderKeys);
            old.add(s.recvHeaderKey);
            while (old.size() > RatchetLimits.MAX_OLD_RECEIVING_CHAINS) {
                // A chain the session forgets takes its skipped keys with it (wiped when the state is stored).
                s.skipped = s.skipped.withoutChain(old.remove(0).unsafeBytes());
            }
            s.oldRecvHeaderKeys = List.copyOf(old);
        }
        s.previousSendN = s.sendN;
        s.sendN = 0;
        s.recvN = 0;
        s.recvHeaderKey = s.nextRecvHeaderKey;
        s.dhRemote = h.dh();
        SecretBytes kemSecret = null;
        try {
            byte[] kemCiphertext = h.kemCiphertext(); // a copy: take it once
            if (s.kemSteps() && kemCiphertext != null) {
                kemSecret = s.kemSelf.decapsulate(kemCiphertext);
            }
            rememberKemKey(s, h);
            try (SecretBytes dh = s.dhSelf.agree(s.dhRemote)) {
                RootStep step = s.rootKey.step(s.level, dh, kemSecret);
                s.rootKey = step.root();
                s.recvChainKey = step.chain();
                s.nextRecvHeaderKey = step.nextHeader();
            }
        } finally {
            if (kemSecret != null) {
                kemSecret.close();
            }
        }
        // The root key between the receiving and the sending half belongs to no state that is ever stored:
        // wiped as soon as the sending half has replaced it (on failure, the discarded copy's wipe takes it).
        RootKey intermediateRoot = s.rootKey;
        sendingStep(s);
        intermediateRoot.wipe();
    }

    /** The sending half of a ratchet step: a new ratchet key, and a KEM step when one is due. */
    private void sendingStep(SessionState s) throws CryptoException {
        s.dhSelf = X25519KeyPair.generate(random);
        s.sendKemPublicKey = false;
        s.sendKemCiphertext = null;
        MlKem1024KeyPair.Encapsulation enc = null;
        try {
            if (s.kemSteps() && s.kemRemotePublicKey != null && kemDue(s)) {
                enc = MlKem1024KeyPair.encapsulate(s.kemRemotePublicKey, random);
                s.kemSelf = MlKem1024KeyPair.generate(random);
                s.sendKemCiphertext = enc.ciphertext();
                s.sendKemPublicKey = true;
                s.messagesSinceKemStep = 0;
                s.lastKemStepAt = SessionRecord.now(clock);
            }
            try (SecretBytes dh = s.dhSelf.agree(s.dhRemote)) {
                RootStep step = s.rootKey.step(s.level, dh, enc == null ? null : enc.sharedSecret());
                s.sendHeaderKey = s.nextSendHeaderKey;
                s.rootKey = step.root();
                s.sendChainKey = step.chain();
                s.nextSendHeaderKey = step.nextHeader();
            }
        } finally {
            if (enc != null) {
                enc.close();
            }
        }
    }

    /** How many header keys the last {@link #decrypt} tried. */
    synchronized int headerTrialsOfLastDecrypt() {
        return headerTrials;
    }

    private boolean kemDue(SessionState s) {
        return s.lastKemStepAt < 0
                || s.messagesSinceKemStep >= RatchetLimits.KEM_REKEY_MESSAGES
                || SessionRecord.now(clock) - s.lastKemStepAt >= RatchetLimits.KEM_REKEY_INTERVAL.toSeconds();
    }

    /** Adopts the peer's advertised KEM key, checking it (FIPS 203 modulus check) the first time it is seen. */
    private static void rememberKemKey(SessionState s, Header h) throws RatchetException {
        byte[] advertised = h.kemPublicKey(); // a copy: take it once
        if (s.kemSteps() && advertised != null && !Arrays.equals(advertised, s.kemRemotePublicKey)) {
            try {
                MlKem1024KeyPair.checkPublicKey(advertised);
            } catch (CryptoException e) {
                throw new RatchetException(MALFORMED, "advertised KEM key: " + e.getMessage(), e);
            }
            s.kemRemotePublicKey = advertised;
        }
    }

    private Header tryHeader(SessionState s, HeaderKey key, byte[] field, byte[] ad) throws RatchetException {
        return key == null ? null : tryHeader(s, key.unsafeBytes(), field, ad);
    }

    /** The header if it opens under {@code key}; null if it does not (any other key, or not a header). */
    private Header tryHeader(SessionState s, byte[] key, byte[] field, byte[] ad) throws RatchetException {
        if (key == null) {
            return null;
        }
        headerTrials++;
        byte[] plain;
        try (SecretBytes hk = SecretBytes.copyOf(key);
                Aead aead = Aead.withRandomNonces(WireMessage.headerAead(s.level), hk, random)) {
            plain = aead.decrypt(field, ad);
        } catch (CryptoException e) {
            return null;
        }
        return Header.decode(plain, s.kemSteps());
    }
}
