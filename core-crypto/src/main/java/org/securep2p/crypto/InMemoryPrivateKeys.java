package org.securep2p.crypto;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static org.securep2p.crypto.CryptoException.Reason.BAD_ENCODING;
import static org.securep2p.crypto.CryptoException.Reason.PREKEY_ALREADY_USED;
import static org.securep2p.crypto.CryptoException.Reason.STALE_PREKEY;
import static org.securep2p.crypto.CryptoException.Reason.UNKNOWN_PREKEY;

/**
 * An identity and its prekeys held in this process's memory. On its own nothing is persisted, so "consumed"
 * lasts as long as the object (tests, benchmarks, the launcher's self-test). The key manager makes it durable
 * through {@link PrivateKeyState}: it restores it from sealed storage and attaches a {@link StateSink}, which
 * receives the whole state after every change that must survive a crash, <em>before</em> the change has any
 * visible effect (a consumed prekey's agreement is computed and returned only once the sink has returned).
 *
 * <p>Prekeys are signed with Ed25519 and Falcon-1024 when made, so a bundle serves every level. Prekey ids
 * come from counters that only grow (and are persisted with the state), so an id is never given to two keys
 * by one holder; an id below the counter that is no longer held was consumed ({@code PREKEY_ALREADY_USED}).
 *
 * <p>Not its job: deciding when to rotate or replenish (the key manager calls {@link #rotateSignedPreKeyIfDue}
 * and {@link #replenishOneTimePreKeys}), or where the state is stored.
 */
public final class InMemoryPrivateKeys implements PrivateKeyOperations, AutoCloseable {

    /** Signed prekeys (and the last-resort KEM prekey with them) are replaced weekly, as in Signal. */
    public static final Duration SIGNED_PREKEY_ROTATION = Duration.ofDays(7);
    /**
     * A retired signed or last-resort KEM prekey stays usable (for handshakes begun with an older bundle) until
     * no verifier would accept it any more: {@link PreKeys#MAX_AGE} plus the clock skew verifiers allow.
     */
    static final Duration RETIRED_PREKEY_KEPT = PreKeys.MAX_AGE.plus(PreKeys.MAX_CLOCK_SKEW);
    /** A one-time KEM prekey is no longer offered a week before verifiers would refuse it as stale. */
    static final Duration ONE_TIME_KEM_OFFERED_FOR = PreKeys.MAX_AGE.minus(SIGNED_PREKEY_ROTATION);
    /** Weekly rotation and a 36-day retention keep at most 6 retired prekeys of each kind; 8 is the cap. */
    static final int MAX_RETIRED_PREKEYS = 8;
    /** One-time X25519 prekeys held at once: ~70 bytes of state each, far beyond a person's contacts. */
    public static final int MAX_ONE_TIME_PREKEYS = 10_000;
    /** One-time ML-KEM prekeys held at once: ~3 KB of state and a Falcon signature per rotation each. */
    public static final int MAX_ONE_TIME_KEM_PREKEYS = 1_000;
    /** Ids of KEM prekeys dropped for age remembered at once (a few weeks of rotations at the largest counts). */
    static final int MAX_EXPIRED_KEM_IDS_REMEMBERED = 4_096;

    private final SecureRandom random;
    private final Clock clock;
    private final byte[] identityX25519;
    private final byte[] identityEd25519;
    private final byte[] identityFalcon;
    private final IdentityPublicKeys identity;

    /** The current signed prekey, signed alone (for bundles without a KEM prekey). */
    private SignedPreKey signedPreKey;
    /** Signed prekeys replaced by a rotation, still accepted for handshakes begun before it. */
    private final Map<Integer, SignedPreKey> retiredSignedPreKeys = new LinkedHashMap<>();
    /** Private keys of the current and the retired signed prekeys. */
    private final Map<Integer, byte[]> signedPreKeyPrivate = new LinkedHashMap<>();
    /** The current signed prekey as offered with each KEM prekey on offer: its signature covers that KEM prekey. */
    private final Map<Integer, SignedPreKey> signedPreKeyWithKem = new LinkedHashMap<>();
    private KemPreKey lastResortKemPreKey;
    private final Map<Integer, KemPreKey> retiredLastResortKemPreKeys = new LinkedHashMap<>();
    /** One-time KEM prekeys not yet consumed, in id order. */
    private final Map<Integer, KemPreKey> oneTimeKemPreKeys = new LinkedHashMap<>();
    /** ML-KEM private keys of every KEM prekey held, as 64-byte seeds ... */
    private final Map<Integer, byte[]> kemSeed = new LinkedHashMap<>();
    /** ... and expanded: expanding costs ~130 us a call. */
    private final Map<Integer, byte[]> kemExpanded = new LinkedHashMap<>();
    /** One-time X25519 prekeys not yet consumed, in id order. */
    private final Map<Integer, OneTimePreKey> oneTimePreKeys = new LinkedHashMap<>();
    private final Map<Integer, byte[]> oneTimePrivate = new LinkedHashMap<>();
    /**
     * KEM prekeys this object dropped for age in a rotation, oldest first: a late decapsulation with one of them
     * is {@code STALE_PREKEY}, not {@code PREKEY_ALREADY_USED}. In memory only: the state encoding does not say
     * why an id is gone, so after a restore an expired id reads as used (PROTOCOL.md 17).
     */
    private final Set<Integer> expiredKemPreKeys = new LinkedHashSet<>();
    /**
     * One-time prekeys (X25519, ML-KEM) already put in a bundle by this object: each is offered at most once, so
     * two bundles handed out at the same time never name the same one (the second handshake would fail with
     * {@code PREKEY_ALREADY_USED}). In memory only: after a restore every unconsumed one may be offered once more.
     * An offered one stays consumable until used (a handshake may arrive late).
     */
    private final Set<Integer> offeredOneTime = new HashSet<>();
    private final Set<Integer> offeredOneTimeKem = new HashSet<>();
    private int nextSignedPreKeyId;
    private int nextKemPreKeyId;
    private int nextOneTimePreKeyId;
    private StateSink sink;

    private InMemoryPrivateKeys(SecureRandom random, Clock clock, byte[] identityX25519, byte[] identityEd25519,
            byte[] identityFalcon, IdentityPublicKeys identity) {
        this.random = random;
        this.clock = clock;
        this.identityX25519 = identityX25519;
        this.identityEd25519 = identityEd25519;
        this.identityFalcon = identityFalcon;
        this.identity = identity;
    }

    /**
     * A fresh identity with a signed prekey, a last-resort KEM prekey, and the given numbers of one-time
     * X25519 and one-time ML-KEM prekeys. Takes ~30 ms (Falcon-1024 key generation).
     */
    public static InMemoryPrivateKeys generate(SecureRandom random, Clock clock, int oneTimePreKeys,
            int oneTimeKemPreKeys) throws CryptoException {
        if (oneTimePreKeys < 0 || oneTimeKemPreKeys < 0 || oneTimePreKeys > MAX_ONE_TIME_PREKEYS
                || oneTimeKemPreKeys > MAX_ONE_TIME_KEM_PREKEYS) {
            throw new IllegalArgumentException("prekey counts must be within [0, limit]");
        }
        Objects.requireNonNull(random);
        Objects.requireNonNull(clock);
        // The order of random draws is fixed: docs/vectors/ are made from a seed through this method.
        byte[] x25519 = X25519.generatePrivateKey(random);
        byte[] ed25519 = Ed25519.generatePrivateKey(random);
        byte[][] falcon = Falcon1024.generateKeyPair(random);
        IdentityPublicKeys identity = IdentityPublicKeys.of(X25519.publicKey(x25519), Ed25519.publicKey(ed25519),
                falcon[0]);
        InMemoryPrivateKeys keys = new InMemoryPrivateKeys(random, clock, x25519, ed25519, falcon[1], identity);
        long now = clock.instant().getEpochSecond();
        keys.installSignedPreKey(1, now);
        keys.installLastResortKemPreKey(1, now);
        for (int i = 0; i < oneTimeKemPreKeys; i++) {
            keys.addOneTimeKemPreKey(2 + i, now);
        }
        for (int i = 0; i < oneTimePreKeys; i++) {
            keys.addOneTimePreKey(1 + i);
        }
        keys.nextSignedPreKeyId = 2;
        keys.nextKemPreKeyId = 2 + oneTimeKemPreKeys;
        keys.nextOneTimePreKeyId = 1 + oneTimePreKeys;
        return keys;
    }

    /** Makes a new current signed prekey (signed alone); the caller re-signs the KEM prekeys on offer. */
    private void installSignedPreKey(int id, long now) throws CryptoException {
        byte[] sk = X25519.generatePrivateKey(random);
        byte[] pk = X25519.publicKey(sk);
        signedPreKeyPrivate.put(id, sk);
        signedPreKey = new SignedPreKey(id, now, pk, signPreKey(SignedPreKey.body(id, now, pk), null));
    }

    private void installLastResortKemPreKey(int id, long now) throws CryptoException {
        lastResortKemPreKey = newKemPreKey(id, false, now);
    }

    private void addOneTimeKemPreKey(int id, long now) throws CryptoException {
        oneTimeKemPreKeys.put(id, newKemPreKey(id, true, now));
    }

    private void addOneTimePreKey(int id) throws CryptoException {
        byte[] sk = X25519.generatePrivateKey(random);
        oneTimePrivate.put(id, sk);
        oneTimePreKeys.put(id, new OneTimePreKey(id, X25519.publicKey(sk)));
    }

    private KemPreKey newKemPreKey(int id, boolean oneTime, long now) throws CryptoException {
        byte[] seed = MlKem1024.generateSeed(random);
        kemSeed.put(id, seed);
        kemExpanded.put(id, MlKem1024.expandedPrivateKey(seed));
        KemPreKey kem = new KemPreKey(id, oneTime, now, MlKem1024.publicKey(seed));
        offerWithCurrentSignedPreKey(kem);
        return kem;
    }

    /** Signs the current signed prekey together with {@code kem} (Ed25519 and Falcon-1024). */
    private void offerWithCurrentSignedPreKey(KemPreKey kem) throws CryptoException {
        SignedPreKey spk = signedPreKey;
        byte[] body = SignedPreKey.body(spk.id(), spk.createdAt().getEpochSecond(), spk.publicKeyUnsafe());
        signedPreKeyWithKem.put(kem.id(), new SignedPreKey(spk.id(), spk.createdAt().getEpochSecond(),
                spk.publicKeyUnsafe(), signPreKey(body, kem)));
    }

    private HybridSignature signPreKey(byte[] spkBody, KemPreKey kem) throws CryptoException {
        return HybridSignature.sign(identityEd25519, identityFalcon, identity.falcon1024(),
                SignedPreKey.signedMessage(identity, spkBody, kem), random);
    }

    private static int take(int next, String what) throws CryptoException {
        if (next == Integer.MAX_VALUE) {
            // Ids are u32 below 2^31; at one a second this is 68 years of prekeys.
            throw new CryptoException(CryptoException.Reason.UNSUPPORTED_PARAMETER, what + " ids exhausted");
        }
        return next;
    }

    // ---- rotation and replenishment --------------------------------------------------------------------------

    /**
     * If the current signed prekey is at least {@link #SIGNED_PREKEY_ROTATION} old: makes a new signed prekey
     * and a new last-resort KEM prekey, re-signs every one-time KEM prekey on offer with the new signed prekey
     * (and stops offering one-time KEM prekeys older than {@link #ONE_TIME_KEM_OFFERED_FOR}), keeps the
     * replaced prekeys usable for {@link #RETIRED_PREKEY_KEPT}, drops older ones, and persists. All or nothing:
     * if the sink fails, the holder is as before (the id counters excepted) and the exception is thrown.
     *
     * @return whether it rotated
     */
    public synchronized boolean rotateSignedPreKeyIfDue() throws CryptoException {
        Instant now = clock.instant();
        if (now.isBefore(signedPreKey.createdAt().plus(SIGNED_PREKEY_ROTATION))) {
            return false;
        }
        Snapshot before = new Snapshot();
        Set<Integer> kemIdsBefore = new HashSet<>(kemSeed.keySet());
        long t = now.getEpochSecond();
        retiredSignedPreKeys.put(signedPreKey.id(), signedPreKey);
        retiredLastResortKemPreKeys.put(lastResortKemPreKey.id(), lastResortKemPreKey);
        signedPreKeyWithKem.clear();
        int spkId = take(nextSignedPreKeyId, "signed prekey");
        int kemId = take(nextKemPreKeyId, "KEM prekey");
        nextSignedPreKeyId = spkId + 1;
        nextKemPreKeyId = kemId + 1;
        installSignedPreKey(spkId, t);
        installLastResortKemPreKey(kemId, t);
        Instant offerLimit = now.minus(ONE_TIME_KEM_OFFERED_FOR);
        for (Iterator<KemPreKey> it = oneTimeKemPreKeys.values().iterator(); it.hasNext();) {
            KemPreKey kem = it.next();
            if (kem.createdAt().isBefore(offerLimit)) {
                it.remove();
                kemSeed.remove(kem.id());
                kemExpanded.remove(kem.id());
            } else {
                offerWithCurrentSignedPreKey(kem);
            }
        }
        Instant keepLimit = now.minus(RETIRED_PREKEY_KEPT);
        dropRetired(retiredSignedPreKeys, keepLimit, signedPreKeyPrivate, null);
        dropRetired(retiredLastResortKemPreKeys, keepLimit, kemSeed, kemExpanded);
        persistOrRollBack(before);
        offeredOneTimeKem.retainAll(oneTimeKemPreKeys.keySet());
        // Only now that the rotation stands: every KEM prekey it removed was removed for age.
        kemIdsBefore.stream().filter(id -> !kemSeed.containsKey(id)).sorted().forEach(expiredKemPreKeys::add);
        for (Iterator<Integer> it = expiredKemPreKeys.iterator();
                expiredKemPreKeys.size() > MAX_EXPIRED_KEM_IDS_REMEMBERED;) {
            it.next();
            it.remove();
        }
        return true;
    }

    private static <K> void dropRetired(Map<Integer, K> retired, Instant keepLimit, Map<Integer, byte[]> privates,
            Map<Integer, byte[]> alsoPrivates) {
        for (Iterator<Map.Entry<Integer, K>> it = retired.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Integer, K> e = it.next();
            Instant created = e.getValue() instanceof SignedPreKey ? ((SignedPreKey) e.getValue()).createdAt()
                    : ((KemPreKey) e.getValue()).createdAt();
            // Oldest first (insertion order), so the cap drops the oldest.
            if (created.isBefore(keepLimit) || retired.size() > MAX_RETIRED_PREKEYS) {
                it.remove();
                privates.remove(e.getKey());
                if (alsoPrivates != null) {
                    alsoPrivates.remove(e.getKey());
                }
            }
        }
    }

    /**
     * Tops the one-time X25519 prekeys not yet offered up to {@code oneTimeTarget} and the one-time ML-KEM
     * prekeys not yet offered up to {@code oneTimeKemTarget} (each new KEM prekey costs a Falcon signature), with
     * fresh ids, never holding more than {@link #MAX_ONE_TIME_PREKEYS} / {@link #MAX_ONE_TIME_KEM_PREKEYS}, and
     * persists before any of them can be offered. All or nothing, as {@link #rotateSignedPreKeyIfDue}.
     */
    public synchronized void replenishOneTimePreKeys(int oneTimeTarget, int oneTimeKemTarget)
            throws CryptoException {
        if (oneTimeTarget < 0 || oneTimeTarget > MAX_ONE_TIME_PREKEYS || oneTimeKemTarget < 0
                || oneTimeKemTarget > MAX_ONE_TIME_KEM_PREKEYS) {
            throw new IllegalArgumentException("targets must be within [0, limit]");
        }
        int[] notOffered = oneTimePreKeysNotOffered();
        int addKem = Math.min(oneTimeKemTarget - notOffered[1], MAX_ONE_TIME_KEM_PREKEYS - oneTimeKemPreKeys.size());
        int add = Math.min(oneTimeTarget - notOffered[0], MAX_ONE_TIME_PREKEYS - oneTimePreKeys.size());
        if (add <= 0 && addKem <= 0) {
            return;
        }
        Snapshot before = new Snapshot();
        long now = clock.instant().getEpochSecond();
        for (int i = 0; i < addKem; i++) {
            int id = take(nextKemPreKeyId, "KEM prekey");
            nextKemPreKeyId = id + 1;
            addOneTimeKemPreKey(id, now);
        }
        for (int i = 0; i < add; i++) {
            int id = take(nextOneTimePreKeyId, "one-time prekey");
            nextOneTimePreKeyId = id + 1;
            addOneTimePreKey(id);
        }
        persistOrRollBack(before);
    }

    /**
     * The id counters {@code [next signed prekey id, next KEM prekey id, next one-time prekey id]}: every id this
     * holder (or any state it was restored from) ever issued is below its counter.
     */
    public synchronized int[] idCounters() {
        return new int[] {nextSignedPreKeyId, nextKemPreKeyId, nextOneTimePreKeyId};
    }

    /**
     * For a state found older than one already used (a restored backup, PROTOCOL.md 17): drops every one-time
     * X25519 and ML-KEM prekey, since any of them may have been consumed after this state was written, and moves
     * each id counter up to at least {@code seenCounters} (same order as {@link #idCounters()}), so that no id
     * issued since is issued again; then persists. All or nothing, as {@link #rotateSignedPreKeyIfDue} (the
     * counters excepted). The caller replenishes.
     */
    public synchronized void recoverFromRollback(int[] seenCounters) throws CryptoException {
        if (seenCounters == null || seenCounters.length != 3) {
            throw new IllegalArgumentException("three counters expected");
        }
        Snapshot before = new Snapshot();
        for (Integer id : oneTimeKemPreKeys.keySet()) {
            signedPreKeyWithKem.remove(id);
            kemSeed.remove(id);
            kemExpanded.remove(id);
        }
        oneTimeKemPreKeys.clear();
        oneTimePreKeys.clear();
        oneTimePrivate.clear();
        offeredOneTime.clear();
        offeredOneTimeKem.clear();
        nextSignedPreKeyId = Math.max(nextSignedPreKeyId, seenCounters[0]);
        nextKemPreKeyId = Math.max(nextKemPreKeyId, seenCounters[1]);
        nextOneTimePreKeyId = Math.max(nextOneTimePreKeyId, seenCounters[2]);
        persistOrRollBack(before);
    }

    /** How many unconsumed one-time X25519 and ML-KEM prekeys are held: {@code [x25519, mlKem]}. */
    public synchronized int[] oneTimePreKeysLeft() {
        return new int[] {oneTimePreKeys.size(), oneTimeKemPreKeys.size()};
    }

    /** How many of those were never put in a bundle by this object: {@code [x25519, mlKem]}. */
    public synchronized int[] oneTimePreKeysNotOffered() {
        return new int[] {notOffered(oneTimePreKeys, offeredOneTime), notOffered(oneTimeKemPreKeys, offeredOneTimeKem)};
    }

    private static int notOffered(Map<Integer, ?> held, Set<Integer> offered) {
        int n = 0;
        for (Integer id : held.keySet()) {
            if (!offered.contains(id)) {
                n++;
            }
        }
        return n;
    }

    // ---- durability ------------------------------------------------------------------------------------------

    /** Set only through {@link PrivateKeyState#attachSealedStorageSink}; {@code null} detaches. */
    synchronized void stateSink(StateSink newSink) {
        sink = newSink;
    }

    /** Hands the whole state to the sink, if any, and wipes the encoding afterwards. */
    private void persist() throws CryptoException {
        if (sink == null) {
            return;
        }
        byte[] encoded = PrivateKeyState.encode(this);
        try {
            sink.persist(encoded);
        } finally {
            Bytes.wipe(encoded);
        }
    }

    /** Persists; on failure puts back what {@code before} holds and wipes what was made since. */
    private void persistOrRollBack(Snapshot before) throws CryptoException {
        try {
            persist();
        } catch (CryptoException | RuntimeException e) {
            Set<byte[]> kept = before.privateArrays();
            privateArrays().stream().filter(a -> !kept.contains(a)).forEach(Bytes::wipe);
            before.restore();
            throw e;
        }
        Set<byte[]> held = privateArrays();
        before.privateArrays().stream().filter(a -> !held.contains(a)).forEach(Bytes::wipe);
    }

    /** Every prekey private-key array held now, by identity (the identity keys never change). */
    private Set<byte[]> privateArrays() {
        return arrays(signedPreKeyPrivate, kemSeed, kemExpanded, oneTimePrivate);
    }

    @SafeVarargs
    private static Set<byte[]> arrays(Map<Integer, byte[]>... maps) {
        Set<byte[]> s = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map<Integer, byte[]> m : maps) {
            s.addAll(m.values());
        }
        return s;
    }

    /** The prekey state before a rotation or replenishment, to roll back to; id counters are not rolled back. */
    private final class Snapshot {
        private final SignedPreKey spk = signedPreKey;
        private final KemPreKey lastResort = lastResortKemPreKey;
        private final Map<Integer, SignedPreKey> retiredSpk = new LinkedHashMap<>(retiredSignedPreKeys);
        private final Map<Integer, byte[]> spkPrivate = new LinkedHashMap<>(signedPreKeyPrivate);
        private final Map<Integer, SignedPreKey> withKem = new LinkedHashMap<>(signedPreKeyWithKem);
        private final Map<Integer, KemPreKey> retiredKem = new LinkedHashMap<>(retiredLastResortKemPreKeys);
        private final Map<Integer, KemPreKey> oneTimeKem = new LinkedHashMap<>(oneTimeKemPreKeys);
        private final Map<Integer, byte[]> seeds = new LinkedHashMap<>(kemSeed);
        private final Map<Integer, byte[]> expanded = new LinkedHashMap<>(kemExpanded);
        private final Map<Integer, OneTimePreKey> oneTime = new LinkedHashMap<>(oneTimePreKeys);
        private final Map<Integer, byte[]> oneTimePriv = new LinkedHashMap<>(oneTimePrivate);

        Set<byte[]> privateArrays() {
            return arrays(spkPrivate, seeds, expanded, oneTimePriv);
        }

        void restore() {
            signedPreKey = spk;
            lastResortKemPreKey = lastResort;
            replace(retiredSignedPreKeys, retiredSpk);
            replace(signedPreKeyPrivate, spkPrivate);
            replace(signedPreKeyWithKem, withKem);
            replace(retiredLastResortKemPreKeys, retiredKem);
            replace(oneTimeKemPreKeys, oneTimeKem);
            replace(kemSeed, seeds);
            replace(kemExpanded, expanded);
            replace(oneTimePreKeys, oneTime);
            replace(oneTimePrivate, oneTimePriv);
        }

        private <V> void replace(Map<Integer, V> target, Map<Integer, V> source) {
            target.clear();
            target.putAll(source);
        }
    }

    // ---- PrivateKeyOperations ----------------------------------------------------------------------------------

    @Override
    public IdentityPublicKeys identity() {
        return identity;
    }

    /** The oldest one-time prekeys held; the same bundle until one is consumed (see {@link #offerPreKeyBundle}). */
    @Override
    public synchronized PreKeyBundle preKeyBundle() {
        KemPreKey kem = oneTimeKemPreKeys.isEmpty() ? lastResortKemPreKey
                : oneTimeKemPreKeys.values().iterator().next();
        OneTimePreKey opk = oneTimePreKeys.isEmpty() ? null : oneTimePreKeys.values().iterator().next();
        return new PreKeyBundle(identity, signedPreKeyWithKem.get(kem.id()), kem, opk);
    }

    /**
     * A bundle for a peer, as the key manager hands them out: the oldest one-time prekeys not yet offered, each
     * then marked offered (see {@link #offeredOneTime}), so no two bundles from this object name the same one;
     * once all are offered, the last-resort KEM prekey and no one-time X25519 prekey, until a replenishment.
     */
    public synchronized PreKeyBundle offerPreKeyBundle() {
        KemPreKey kem = firstNotOffered(oneTimeKemPreKeys, offeredOneTimeKem);
        if (kem == null) {
            kem = lastResortKemPreKey;
        } else {
            offeredOneTimeKem.add(kem.id());
        }
        OneTimePreKey opk = firstNotOffered(oneTimePreKeys, offeredOneTime);
        if (opk != null) {
            offeredOneTime.add(opk.id());
        }
        return new PreKeyBundle(identity, signedPreKeyWithKem.get(kem.id()), kem, opk);
    }

    private static <V> V firstNotOffered(Map<Integer, V> held, Set<Integer> offered) {
        for (Map.Entry<Integer, V> e : held.entrySet()) {
            if (!offered.contains(e.getKey())) {
                return e.getValue();
            }
        }
        return null;
    }

    /** A bundle without a KEM prekey (serves STANDARD and ENHANCED only), for tests of that case. */
    synchronized PreKeyBundle preKeyBundleWithoutKemPreKey() {
        OneTimePreKey opk = oneTimePreKeys.isEmpty() ? null : oneTimePreKeys.values().iterator().next();
        return new PreKeyBundle(identity, signedPreKey, null, opk);
    }

    @Override
    public SecretBytes agreeWithIdentityKey(byte[] peerPublicKey) throws CryptoException {
        return X25519.agree(identityX25519, peerPublicKey);
    }

    /** The current or a retired (not yet dropped) signed prekey. */
    @Override
    public synchronized SecretBytes agreeWithSignedPreKey(int signedPreKeyId, byte[] peerPublicKey)
            throws CryptoException {
        byte[] sk = signedPreKeyPrivate.get(signedPreKeyId);
        if (sk == null) {
            throw new CryptoException(UNKNOWN_PREKEY, "no signed prekey " + signedPreKeyId);
        }
        return X25519.agree(sk, peerPublicKey);
    }

    /**
     * Order, so that a malformed peer key consumes nothing and a crash at any instant never lets a key be used
     * twice: the agreement is computed first and held back (a malformed or low-order key is refused here, the
     * prekey untouched), then the prekey is removed from memory (it can never be used again by this object,
     * whatever follows), the state saying so is persisted, and only then is the agreement returned. If the sink
     * fails, the prekey stays removed and the agreement is wiped: nothing derived from it leaves.
     */
    @Override
    public synchronized SecretBytes consumeOneTimePreKey(int oneTimePreKeyId, byte[] peerPublicKey)
            throws CryptoException {
        byte[] sk = oneTimePrivate.get(oneTimePreKeyId);
        if (sk == null || !oneTimePreKeys.containsKey(oneTimePreKeyId)) {
            throw notHeld(oneTimePreKeyId, nextOneTimePreKeyId, "one-time prekey");
        }
        SecretBytes agreed = X25519.agree(sk, peerPublicKey);
        try {
            oneTimePreKeys.remove(oneTimePreKeyId);
            oneTimePrivate.remove(oneTimePreKeyId);
            offeredOneTime.remove(oneTimePreKeyId);
            persist();
            return agreed;
        } catch (CryptoException | RuntimeException e) {
            agreed.close();
            throw e;
        } finally {
            Bytes.wipe(sk);
        }
    }

    /** A last-resort KEM prekey (current or retired) is reused; a one-time one is consumed as above. */
    @Override
    public synchronized SecretBytes decapsulate(int kemPreKeyId, byte[] ciphertext) throws CryptoException {
        if (kemPreKeyId == lastResortKemPreKey.id() || retiredLastResortKemPreKeys.containsKey(kemPreKeyId)) {
            return MlKem1024.decapsulate(kemExpanded.get(kemPreKeyId), ciphertext);
        }
        if (!oneTimeKemPreKeys.containsKey(kemPreKeyId)) {
            if (expiredKemPreKeys.contains(kemPreKeyId)) {
                throw new CryptoException(STALE_PREKEY, "KEM prekey " + kemPreKeyId + " expired");
            }
            throw notHeld(kemPreKeyId, nextKemPreKeyId, "KEM prekey");
        }
        // As consumeOneTimePreKey: a malformed ciphertext is refused before the prekey is touched.
        SecretBytes shared = MlKem1024.decapsulate(kemExpanded.get(kemPreKeyId), ciphertext);
        oneTimeKemPreKeys.remove(kemPreKeyId);
        offeredOneTimeKem.remove(kemPreKeyId);
        signedPreKeyWithKem.remove(kemPreKeyId);
        byte[] seed = kemSeed.remove(kemPreKeyId);
        byte[] expanded = kemExpanded.remove(kemPreKeyId);
        try {
            persist();
            return shared;
        } catch (CryptoException | RuntimeException e) {
            shared.close();
            throw e;
        } finally {
            Bytes.wipe(seed, expanded);
        }
    }

    /**
     * Ids below the counter were given out and are gone: consumed (or, for KEM prekeys, expired before this object
     * was restored: see {@link #expiredKemPreKeys}).
     */
    private static CryptoException notHeld(int id, int next, String what) {
        if (id >= 1 && id < next) {
            return new CryptoException(PREKEY_ALREADY_USED, what + " " + id + " was used");
        }
        return new CryptoException(UNKNOWN_PREKEY, "no " + what + " " + id);
    }

    @Override
    public HybridSignature signHandshakeTranscript(HandshakeTranscript transcript) throws CryptoException {
        boolean falcon = transcript.level().requiresFalconSignatures();
        return HybridSignature.sign(identityEd25519, falcon ? identityFalcon : null, identity.falcon1024(),
                transcript.signedMessage(), random);
    }

    @Override
    public byte[] signTlsCertificateVerify(byte[] content) throws CryptoException {
        TransportSigning.checkCertificateVerifyInput(content);
        return Ed25519.sign(identityEd25519, content);
    }

    @Override
    public byte[] signTransportCertificate(byte[] tbsCertificateDer) throws CryptoException {
        TransportSigning.checkTbsCertificate(tbsCertificateDer, identity.ed25519());
        return Ed25519.sign(identityEd25519, tbsCertificateDer);
    }

    /**
     * Copies of the private keys, by name, for publishing test vectors in {@code docs/vectors/} from a fixed
     * seed. Nothing else may call this: private keys never leave their holder.
     */
    synchronized Map<String, byte[]> privateKeysForTestVectors() {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        keys.put("identity_x25519_private", identityX25519.clone());
        keys.put("identity_ed25519_private", identityEd25519.clone());
        keys.put("signed_prekey_private", signedPreKeyPrivate.get(signedPreKey.id()).clone());
        keys.put("last_resort_kem_seed", kemSeed.get(lastResortKemPreKey.id()).clone());
        oneTimePrivate.forEach((id, k) -> keys.put("one_time_prekey_" + id + "_private", k.clone()));
        oneTimeKemPreKeys.keySet().forEach(id -> keys.put("one_time_kem_prekey_" + id + "_seed",
                kemSeed.get(id).clone()));
        return keys;
    }

    /** Wipes every private key. */
    @Override
    public synchronized void close() {
        Bytes.wipe(identityX25519, identityEd25519, identityFalcon);
        privateArrays().forEach(Bytes::wipe);
    }

    // ---- state encoding (reached only through PrivateKeyState) -------------------------------------------------

    /** An upper bound of {@link #writeState}'s output, so that the writer never reallocates (see StrictWriter). */
    synchronized int stateCapacity() {
        int spk = 1 + 4 + 8 + 1 + X25519.KEY_LENGTH + Ed25519.SIGNATURE_LENGTH + 2 + Falcon1024.MAX_SIGNATURE_LENGTH
                + X25519.KEY_LENGTH;
        int kem = 1 + 4 + 8 + 1 + MlKem1024.PUBLIC_KEY_LENGTH + MlKem1024.SEED_LENGTH + Ed25519.SIGNATURE_LENGTH
                + 2 + Falcon1024.MAX_SIGNATURE_LENGTH;
        int opk = 4 + 1 + X25519.KEY_LENGTH + X25519.KEY_LENGTH;
        return 1024 + IdentityPublicKeys.ENCODED_LENGTH + 2 * 32 + Falcon1024.PRIVATE_KEY_LENGTH
                + (1 + retiredSignedPreKeys.size()) * spk
                + (1 + retiredLastResortKemPreKeys.size() + oneTimeKemPreKeys.size()) * kem
                + oneTimePreKeys.size() * opk;
    }

    /** The layout of docs/PROTOCOL.md section 17, between the version byte and the checksum. */
    synchronized void writeState(StrictWriter w) {
        w.bytes(identity.encodedUnsafe());
        w.bytes(identityX25519).bytes(identityEd25519).bytes(identityFalcon);
        w.u32(nextSignedPreKeyId).u32(nextKemPreKeyId).u32(nextOneTimePreKeyId);
        w.u8(retiredSignedPreKeys.size());
        for (SignedPreKey spk : retiredSignedPreKeys.values()) {
            spk.write(w);
            w.bytes(signedPreKeyPrivate.get(spk.id()));
        }
        signedPreKey.write(w);
        w.bytes(signedPreKeyPrivate.get(signedPreKey.id()));
        w.u8(retiredLastResortKemPreKeys.size());
        for (KemPreKey kem : retiredLastResortKemPreKeys.values()) {
            kem.write(w);
            w.bytes(kemSeed.get(kem.id()));
        }
        writeOffered(w, lastResortKemPreKey);
        w.u16(oneTimeKemPreKeys.size());
        oneTimeKemPreKeys.values().forEach(kem -> writeOffered(w, kem));
        w.u16(oneTimePreKeys.size());
        for (OneTimePreKey opk : oneTimePreKeys.values()) {
            opk.write(w);
            w.bytes(oneTimePrivate.get(opk.id()));
        }
    }

    private void writeOffered(StrictWriter w, KemPreKey kem) {
        kem.write(w);
        w.bytes(kemSeed.get(kem.id()));
        signedPreKeyWithKem.get(kem.id()).signature().write(w);
    }

    /**
     * Reads what {@link #writeState} wrote, checking every key against its public half, every signature, the
     * id counters and the limits: a state that parses is one this class could have written.
     */
    static InMemoryPrivateKeys readState(StrictReader r, SecureRandom random, Clock clock) throws CryptoException {
        IdentityPublicKeys identity = IdentityPublicKeys.read(r);
        byte[] x25519 = r.fixed(X25519.KEY_LENGTH, "identity X25519 private key");
        byte[] ed25519 = r.fixed(Ed25519.PRIVATE_KEY_LENGTH, "identity Ed25519 private key");
        byte[] falcon = r.fixed(Falcon1024.PRIVATE_KEY_LENGTH, "identity Falcon-1024 private key");
        InMemoryPrivateKeys keys = new InMemoryPrivateKeys(random, clock, x25519, ed25519, falcon, identity);
        try {
            keys.readPrekeys(r);
            return keys;
        } catch (CryptoException | RuntimeException e) {
            keys.close();
            throw e;
        }
    }

    private void readPrekeys(StrictReader r) throws CryptoException {
        matches(X25519.publicKey(identityX25519), identity.x25519(), "identity X25519 key");
        matches(Ed25519.publicKey(identityEd25519), identity.ed25519(), "identity Ed25519 key");
        byte[] check = Labels.terminated(Labels.KEY_STATE_SELF_CHECK);
        HybridSignature.sign(identityEd25519, identityFalcon, identity.falcon1024(), check, random)
                .verify(identity, check, true, "identity Falcon-1024 key");
        nextSignedPreKeyId = r.u32("next signed prekey id");
        nextKemPreKeyId = r.u32("next KEM prekey id");
        nextOneTimePreKeyId = r.u32("next one-time prekey id");
        if (nextSignedPreKeyId < 2 || nextKemPreKeyId < 2 || nextOneTimePreKeyId < 1) {
            throw new CryptoException(BAD_ENCODING, "key state: id counter below its first value");
        }
        int retired = count(r.u8("retired signed prekey count"), MAX_RETIRED_PREKEYS, "retired signed prekeys");
        for (int i = 0; i < retired; i++) {
            SignedPreKey spk = readSignedPreKey(r);
            retiredSignedPreKeys.put(spk.id(), spk);
        }
        signedPreKey = readSignedPreKey(r);
        retired = count(r.u8("retired KEM prekey count"), MAX_RETIRED_PREKEYS, "retired KEM prekeys");
        for (int i = 0; i < retired; i++) {
            KemPreKey kem = readKemPreKey(r, false);
            retiredLastResortKemPreKeys.put(kem.id(), kem);
        }
        lastResortKemPreKey = readKemPreKey(r, false);
        readJointSignature(r, lastResortKemPreKey);
        int n = count(r.u16("one-time KEM prekey count"), MAX_ONE_TIME_KEM_PREKEYS, "one-time KEM prekeys");
        for (int i = 0; i < n; i++) {
            KemPreKey kem = readKemPreKey(r, true);
            readJointSignature(r, kem);
            oneTimeKemPreKeys.put(kem.id(), kem);
        }
        n = count(r.u16("one-time prekey count"), MAX_ONE_TIME_PREKEYS, "one-time prekeys");
        for (int i = 0; i < n; i++) {
            OneTimePreKey opk = OneTimePreKey.read(r);
            byte[] sk = r.fixed(X25519.KEY_LENGTH, "one-time prekey private key");
            checkNewId(opk.id(), nextOneTimePreKeyId, oneTimePrivate.put(opk.id(), sk), "one-time prekey");
            matches(X25519.publicKey(sk), opk.publicKeyUnsafe(), "one-time prekey " + opk.id());
            oneTimePreKeys.put(opk.id(), opk);
        }
    }

    private SignedPreKey readSignedPreKey(StrictReader r) throws CryptoException {
        SignedPreKey spk = SignedPreKey.read(r);
        byte[] sk = r.fixed(X25519.KEY_LENGTH, "signed prekey private key");
        checkNewId(spk.id(), nextSignedPreKeyId, signedPreKeyPrivate.put(spk.id(), sk), "signed prekey");
        matches(X25519.publicKey(sk), spk.publicKeyUnsafe(), "signed prekey " + spk.id());
        byte[] body = SignedPreKey.body(spk.id(), spk.createdAt().getEpochSecond(), spk.publicKeyUnsafe());
        spk.signature().verify(identity, SignedPreKey.signedMessage(identity, body, null), true,
                "stored signed prekey " + spk.id());
        return spk;
    }

    private KemPreKey readKemPreKey(StrictReader r, boolean oneTime) throws CryptoException {
        KemPreKey kem = KemPreKey.read(r);
        if (kem.isOneTime() != oneTime) {
            throw new CryptoException(BAD_ENCODING, "key state: KEM prekey " + kem.id() + " of the wrong kind");
        }
        byte[] seed = r.fixed(MlKem1024.SEED_LENGTH, "KEM prekey seed");
        checkNewId(kem.id(), nextKemPreKeyId, kemSeed.put(kem.id(), seed), "KEM prekey");
        matches(MlKem1024.publicKey(seed), kem.publicKeyUnsafe(), "KEM prekey " + kem.id());
        kemExpanded.put(kem.id(), MlKem1024.expandedPrivateKey(seed));
        return kem;
    }

    private void readJointSignature(StrictReader r, KemPreKey kem) throws CryptoException {
        HybridSignature sig = HybridSignature.read(r, "KEM prekey " + kem.id() + " joint signature");
        SignedPreKey spk = signedPreKey;
        long created = spk.createdAt().getEpochSecond();
        sig.verify(identity, SignedPreKey.signedMessage(identity, SignedPreKey.body(spk.id(), created,
                spk.publicKeyUnsafe()), kem), true, "stored joint signature of KEM prekey " + kem.id());
        signedPreKeyWithKem.put(kem.id(), new SignedPreKey(spk.id(), created, spk.publicKeyUnsafe(), sig));
    }

    private static int count(int n, int max, String what) throws CryptoException {
        if (n > max) {
            throw new CryptoException(BAD_ENCODING, "key state: " + n + " " + what + ", at most " + max);
        }
        return n;
    }

    /** An id is below its counter (so never given out again) and appears once; {@code previous} is the put's. */
    private static void checkNewId(int id, int next, byte[] previous, String what) throws CryptoException {
        if (previous != null) {
            Bytes.wipe(previous);
            throw new CryptoException(BAD_ENCODING, "key state: " + what + " " + id + " appears twice");
        }
        if (id < 1 || id >= next) {
            throw new CryptoException(BAD_ENCODING, "key state: " + what + " " + id + " not below its counter");
        }
    }

    private static void matches(byte[] derived, byte[] stored, String what) throws CryptoException {
        if (!Arrays.equals(derived, stored)) {
            throw new CryptoException(BAD_ENCODING, "key state: " + what + " does not match its private key");
        }
    }

    @Override
    public String toString() {
        return "InMemoryPrivateKeys[" + identity.fingerprint().shortForm() + "]";
    }
}
