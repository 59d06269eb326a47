package org.securep2p.crypto;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

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

    /** The current signed prekey; its public part is signed alone (for bundles without a KEM prekey). */
    private HeldSignedPreKey signedPreKey;
    /** Signed prekeys replaced by a rotation, still accepted for handshakes begun before it, oldest first. */
    private final Map<Integer, HeldSignedPreKey> retiredSignedPreKeys = new LinkedHashMap<>();
    /** The current last-resort KEM prekey (offered with the current signed prekey). */
    private HeldKemPreKey lastResortKemPreKey;
    /** Last-resort KEM prekeys replaced by a rotation (no longer offered), oldest first. */
    private final Map<Integer, HeldKemPreKey> retiredLastResortKemPreKeys = new LinkedHashMap<>();
    /** One-time KEM prekeys not yet consumed, in id order. */
    private final Map<Integer, HeldKemPreKey> oneTimeKemPreKeys = new LinkedHashMap<>();
    /** One-time X25519 prekeys not yet consumed, in id order. */
    private final Map<Integer, HeldOneTimePreKey> oneTimePreKeys = new LinkedHashMap<>();
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
        signedPreKey = new HeldSignedPreKey(new SignedPreKey(id, now, pk,
                signPreKey(SignedPreKey.body(id, now, pk), null)), sk);
    }

    private void installLastResortKemPreKey(int id, long now) throws CryptoException {
        lastResortKemPreKey = newKemPreKey(id, false, now);
    }

    private void addOneTimeKemPreKey(int id, long now) throws CryptoException {
        oneTimeKemPreKeys.put(id, newKemPreKey(id, true, now));
    }

    private void addOneTimePreKey(int id) throws CryptoException {
        byte[] sk = X25519.generatePrivateKey(random);
        oneTimePreKeys.put(id, new HeldOneTimePreKey(new OneTimePreKey(id, X25519.publicKey(sk)), sk));
    }

    private HeldKemPreKey newKemPreKey(int id, boolean oneTime, long now) throws CryptoException {
        byte[] seed = MlKem1024.generateSeed(random);
        byte[] expanded = MlKem1024.expandedPrivateKey(seed);
        KemPreKey kem = new KemPreKey(id, oneTime, now, MlKem1024.publicKey(seed));
        return new HeldKemPreKey(kem, seed, expanded, withCurrentSignedPreKey(kem));
    }

    /** The current signed prekey signed together with {@code kem} (Ed25519 and Falcon-1024). */
    private SignedPreKey withCurrentSignedPreKey(KemPreKey kem) throws CryptoException {
        SignedPreKey spk = signedPreKey.key();
        byte[] body = SignedPreKey.body(spk.id(), spk.createdAt().getEpochSecond(), spk.publicKeyUnsafe());
        return new SignedPreKey(spk.id(), spk.createdAt().getEpochSecond(), spk.publicKeyUnsafe(),
                signPreKey(body, kem));
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
        if (now.isBefore(signedPreKey.key().createdAt().plus(SIGNED_PREKEY_ROTATION))) {
            return false;
        }
        Snapshot before = new Snapshot();
        Set<Integer> kemIdsBefore = kemPreKeyIds();
        long t = now.getEpochSecond();
        retiredSignedPreKeys.put(signedPreKey.id(), signedPreKey);
        // Retired, it is no longer offered: its joint signature with the old signed prekey goes.
        retiredLastResortKemPreKeys.put(lastResortKemPreKey.id(), lastResortKemPreKey.offeredWith(null));
        int spkId = take(nextSignedPreKeyId, "signed prekey");
        int kemId = take(nextKemPreKeyId, "KEM prekey");
        nextSignedPreKeyId = spkId + 1;
        nextKemPreKeyId = kemId + 1;
        installSignedPreKey(spkId, t);
        installLastResortKemPreKey(kemId, t);
        Instant offerLimit = now.minus(ONE_TIME_KEM_OFFERED_FOR);
        for (Iterator<Map.Entry<Integer, HeldKemPreKey>> it = oneTimeKemPreKeys.entrySet().iterator();
                it.hasNext();) {
            Map.Entry<Integer, HeldKemPreKey> e = it.next();
            KemPreKey kem = e.getValue().key();
            if (kem.createdAt().isBefore(offerLimit)) {
                it.remove();
            } else {
                e.setValue(e.getValue().offeredWith(withCurrentSignedPreKey(kem)));
            }
        }
        Instant keepLimit = now.minus(RETIRED_PREKEY_KEPT);
        dropRetired(retiredSignedPreKeys, keepLimit, held -> held.key().createdAt());
        dropRetired(retiredLastResortKemPreKeys, keepLimit, held -> held.key().createdAt());
        persistOrRollBack(before);
        offeredOneTimeKem.retainAll(oneTimeKemPreKeys.keySet());
        // Only now that the rotation stands: every KEM prekey it removed was removed for age.
        Set<Integer> kemIdsAfter = kemPreKeyIds();
        kemIdsBefore.stream().filter(id -> !kemIdsAfter.contains(id)).sorted().forEach(expiredKemPreKeys::add);
        for (Iterator<Integer> it = expiredKemPreKeys.iterator();
                expiredKemPreKeys.size() > MAX_EXPIRED_KEM_IDS_REMEMBERED;) {
            it.next();
            it.remove();
        }
        return true;
    }

    /** Their private arrays are wiped by {@link #persistOrRollBack} once the state without them stands. */
    private static <V> void dropRetired(Map<Integer, V> retired, Instant keepLimit, Function<V, Instant> createdAt) {
        for (Iterator<V> it = retired.values().iterator(); it.hasNext();) {
            // Oldest first (insertion order), so the cap drops the oldest.
            if (createdAt.apply(it.next()).isBefore(keepLimit) || retired.size() > MAX_RETIRED_PREKEYS) {
                it.remove();
            }
        }
    }

    /** Ids of every KEM prekey held: the current and retired last-resort ones and the one-time ones. */
    private Set<Integer> kemPreKeyIds() {
        Set<Integer> ids = new HashSet<>(retiredLastResortKemPreKeys.keySet());
        ids.add(lastResortKemPreKey.id());
        ids.addAll(oneTimeKemPreKeys.keySet());
        return ids;
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
        oneTimeKemPreKeys.clear();
        oneTimePreKeys.clear();
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
        return arrays(signedPreKey, retiredSignedPreKeys, lastResortKemPreKey, retiredLastResortKemPreKeys,
                oneTimeKemPreKeys, oneTimePreKeys);
    }

    /** {@code current} and {@code lastResort} are null only while a state is being read. */
    private static Set<byte[]> arrays(HeldSignedPreKey current, Map<Integer, HeldSignedPreKey> retired,
            HeldKemPreKey lastResort, Map<Integer, HeldKemPreKey> retiredLastResort,
            Map<Integer, HeldKemPreKey> oneTimeKem, Map<Integer, HeldOneTimePreKey> oneTime) {
        Set<byte[]> s = Collections.newSetFromMap(new IdentityHashMap<>());
        if (current != null) {
            s.add(current.privateKey());
        }
        retired.values().forEach(held -> s.add(held.privateKey()));
        List<HeldKemPreKey> kems = new ArrayList<>(retiredLastResort.values());
        if (lastResort != null) {
            kems.add(lastResort);
        }
        kems.addAll(oneTimeKem.values());
        for (HeldKemPreKey held : kems) {
            s.add(held.seed());
            s.add(held.expanded());
        }
        oneTime.values().forEach(held -> s.add(held.privateKey()));
        return s;
    }

    /** The prekey state before a rotation or replenishment, to roll back to; id counters are not rolled back. */
    private final class Snapshot {
        private final HeldSignedPreKey spk = signedPreKey;
        private final HeldKemPreKey lastResort = lastResortKemPreKey;
        private final Map<Integer, HeldSignedPreKey> retiredSpk = new LinkedHashMap<>(retiredSignedPreKeys);
        private final Map<Integer, HeldKemPreKey> retiredKem = new LinkedHashMap<>(retiredLastResortKemPreKeys);
        private final Map<Integer, HeldKemPreKey> oneTimeKem = new LinkedHashMap<>(oneTimeKemPreKeys);
        private final Map<Integer, HeldOneTimePreKey> oneTime = new LinkedHashMap<>(oneTimePreKeys);

        Set<byte[]> privateArrays() {
            return arrays(spk, retiredSpk, lastResort, retiredKem, oneTimeKem, oneTime);
        }

        void restore() {
            signedPreKey = spk;
            lastResortKemPreKey = lastResort;
            replace(retiredSignedPreKeys, retiredSpk);
            replace(retiredLastResortKemPreKeys, retiredKem);
            replace(oneTimeKemPreKeys, oneTimeKem);
            replace(oneTimePreKeys, oneTime);
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
        HeldKemPreKey kem = oneTimeKemPreKeys.isEmpty() ? lastResortKemPreKey
                : oneTimeKemPreKeys.values().iterator().next();
        OneTimePreKey opk = oneTimePreKeys.isEmpty() ? null : oneTimePreKeys.values().iterator().next().key();
        return new PreKeyBundle(identity, kem.offeredWith(), kem.key(), opk);
    }

    /**
     * A bundle for a peer, as the key manager hands them out: the oldest one-time prekeys not yet offered, each
     * then marked offered (see {@link #offeredOneTime}), so no two bundles from this object name the same one;
     * once all are offered, the last-resort KEM prekey and no one-time X25519 prekey, until a replenishment.
     */
    public synchronized PreKeyBundle offerPreKeyBundle() {
        HeldKemPreKey kem = firstNotOffered(oneTimeKemPreKeys, offeredOneTimeKem);
        if (kem == null) {
            kem = lastResortKemPreKey;
        } else {
            offeredOneTimeKem.add(kem.id());
        }
        HeldOneTimePreKey opk = firstNotOffered(oneTimePreKeys, offeredOneTime);
        if (opk != null) {
            offeredOneTime.add(opk.id());
        }
        return new PreKeyBundle(identity, kem.offeredWith(), kem.key(), opk == null ? null : opk.key());
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
        OneTimePreKey opk = oneTimePreKeys.isEmpty() ? null : oneTimePreKeys.values().iterator().next().key();
        return new PreKeyBundle(identity, signedPreKey.key(), null, opk);
    }

    @Override
    public SecretBytes agreeWithIdentityKey(byte[] peerPublicKey) throws CryptoException {
        return X25519.agree(identityX25519, peerPublicKey);
    }

    /** The current or a retired (not yet dropped) signed prekey. */
    @Override
    public synchronized SecretBytes agreeWithSignedPreKey(int signedPreKeyId, byte[] peerPublicKey)
            throws CryptoException {
        HeldSignedPreKey held = signedPreKeyId == signedPreKey.id() ? signedPreKey
                : retiredSignedPreKeys.get(signedPreKeyId);
        if (held == null) {
            throw new CryptoException(UNKNOWN_PREKEY, "no signed prekey " + signedPreKeyId);
        }
        return X25519.agree(held.privateKey(), peerPublicKey);
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
        HeldOneTimePreKey held = oneTimePreKeys.get(oneTimePreKeyId);
        if (held == null) {
            throw notHeld(oneTimePreKeyId, nextOneTimePreKeyId, "one-time prekey");
        }
        byte[] sk = held.privateKey();
        SecretBytes agreed = X25519.agree(sk, peerPublicKey);
        try {
            oneTimePreKeys.remove(oneTimePreKeyId);
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
        if (kemPreKeyId == lastResortKemPreKey.id()) {
            return MlKem1024.decapsulate(lastResortKemPreKey.expanded(), ciphertext);
        }
        HeldKemPreKey retired = retiredLastResortKemPreKeys.get(kemPreKeyId);
        if (retired != null) {
            return MlKem1024.decapsulate(retired.expanded(), ciphertext);
        }
        HeldKemPreKey held = oneTimeKemPreKeys.get(kemPreKeyId);
        if (held == null) {
            if (expiredKemPreKeys.contains(kemPreKeyId)) {
                throw new CryptoException(STALE_PREKEY, "KEM prekey " + kemPreKeyId + " expired");
            }
            throw notHeld(kemPreKeyId, nextKemPreKeyId, "KEM prekey");
        }
        // As consumeOneTimePreKey: a malformed ciphertext is refused before the prekey is touched.
        SecretBytes shared = MlKem1024.decapsulate(held.expanded(), ciphertext);
        oneTimeKemPreKeys.remove(kemPreKeyId);
        offeredOneTimeKem.remove(kemPreKeyId);
        try {
            persist();
            return shared;
        } catch (CryptoException | RuntimeException e) {
            shared.close();
            throw e;
        } finally {
            Bytes.wipe(held.seed(), held.expanded());
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
        keys.put("signed_prekey_private", signedPreKey.privateKey().clone());
        keys.put("last_resort_kem_seed", lastResortKemPreKey.seed().clone());
        oneTimePreKeys.forEach((id, held) -> keys.put("one_time_prekey_" + id + "_private",
                held.privateKey().clone()));
        oneTimeKemPreKeys.forEach((id, held) -> keys.put("one_time_kem_prekey_" + id + "_seed",
                held.seed().clone()));
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
        for (HeldSignedPreKey spk : retiredSignedPreKeys.values()) {
            spk.key().write(w);
            w.bytes(spk.privateKey());
        }
        signedPreKey.key().write(w);
        w.bytes(signedPreKey.privateKey());
        w.u8(retiredLastResortKemPreKeys.size());
        for (HeldKemPreKey kem : retiredLastResortKemPreKeys.values()) {
            kem.key().write(w);
            w.bytes(kem.seed());
        }
        writeOffered(w, lastResortKemPreKey);
        w.u16(oneTimeKemPreKeys.size());
        oneTimeKemPreKeys.values().forEach(kem -> writeOffered(w, kem));
        w.u16(oneTimePreKeys.size());
        for (HeldOneTimePreKey opk : oneTimePreKeys.values()) {
            opk.key().write(w);
            w.bytes(opk.privateKey());
        }
    }

    private static void writeOffered(StrictWriter w, HeldKemPreKey kem) {
        kem.key().write(w);
        w.bytes(kem.seed());
        kem.offeredWith().signature().write(w);
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
            HeldSignedPreKey spk = readSignedPreKey(r);
            retiredSignedPreKeys.put(spk.id(), spk);
        }
        signedPreKey = readSignedPreKey(r);
        retired = count(r.u8("retired KEM prekey count"), MAX_RETIRED_PREKEYS, "retired KEM prekeys");
        for (int i = 0; i < retired; i++) {
            HeldKemPreKey kem = readKemPreKey(r, false);
            retiredLastResortKemPreKeys.put(kem.id(), kem);
        }
        // Each prekey is held (so close() wipes it) before its joint signature is read and checked.
        lastResortKemPreKey = readKemPreKey(r, false);
        lastResortKemPreKey = lastResortKemPreKey.offeredWith(readJointSignature(r, lastResortKemPreKey.key()));
        int n = count(r.u16("one-time KEM prekey count"), MAX_ONE_TIME_KEM_PREKEYS, "one-time KEM prekeys");
        for (int i = 0; i < n; i++) {
            HeldKemPreKey kem = readKemPreKey(r, true);
            oneTimeKemPreKeys.put(kem.id(), kem);
            oneTimeKemPreKeys.put(kem.id(), kem.offeredWith(readJointSignature(r, kem.key())));
        }
        n = count(r.u16("one-time prekey count"), MAX_ONE_TIME_PREKEYS, "one-time prekeys");
        for (int i = 0; i < n; i++) {
            OneTimePreKey opk = OneTimePreKey.read(r);
            byte[] sk = r.fixed(X25519.KEY_LENGTH, "one-time prekey private key");
            try {
                checkNewId(opk.id(), nextOneTimePreKeyId, oneTimePreKeys.containsKey(opk.id()), "one-time prekey");
                matches(X25519.publicKey(sk), opk.publicKeyUnsafe(), "one-time prekey " + opk.id());
            } catch (CryptoException | RuntimeException e) {
                Bytes.wipe(sk);
                throw e;
            }
            oneTimePreKeys.put(opk.id(), new HeldOneTimePreKey(opk, sk));
        }
    }

    /** Not yet held when it returns or throws: on failure its private key is wiped here. */
    private HeldSignedPreKey readSignedPreKey(StrictReader r) throws CryptoException {
        SignedPreKey spk = SignedPreKey.read(r);
        byte[] sk = r.fixed(X25519.KEY_LENGTH, "signed prekey private key");
        try {
            boolean held = retiredSignedPreKeys.containsKey(spk.id())
                    || (signedPreKey != null && signedPreKey.id() == spk.id());
            checkNewId(spk.id(), nextSignedPreKeyId, held, "signed prekey");
            matches(X25519.publicKey(sk), spk.publicKeyUnsafe(), "signed prekey " + spk.id());
            byte[] body = SignedPreKey.body(spk.id(), spk.createdAt().getEpochSecond(), spk.publicKeyUnsafe());
            spk.signature().verify(identity, SignedPreKey.signedMessage(identity, body, null), true,
                    "stored signed prekey " + spk.id());
            return new HeldSignedPreKey(spk, sk);
        } catch (CryptoException | RuntimeException e) {
            Bytes.wipe(sk);
            throw e;
        }
    }

    /** As {@link #readSignedPreKey}; without a joint signature yet. */
    private HeldKemPreKey readKemPreKey(StrictReader r, boolean oneTime) throws CryptoException {
        KemPreKey kem = KemPreKey.read(r);
        if (kem.isOneTime() != oneTime) {
            throw new CryptoException(BAD_ENCODING, "key state: KEM prekey " + kem.id() + " of the wrong kind");
        }
        byte[] seed = r.fixed(MlKem1024.SEED_LENGTH, "KEM prekey seed");
        try {
            boolean held = retiredLastResortKemPreKeys.containsKey(kem.id()) || oneTimeKemPreKeys.containsKey(kem.id())
                    || (lastResortKemPreKey != null && lastResortKemPreKey.id() == kem.id());
            checkNewId(kem.id(), nextKemPreKeyId, held, "KEM prekey");
            matches(MlKem1024.publicKey(seed), kem.publicKeyUnsafe(), "KEM prekey " + kem.id());
            return new HeldKemPreKey(kem, seed, MlKem1024.expandedPrivateKey(seed), null);
        } catch (CryptoException | RuntimeException e) {
            Bytes.wipe(seed);
            throw e;
        }
    }

    /** The current signed prekey as offered with {@code kem}, its stored joint signature checked. */
    private SignedPreKey readJointSignature(StrictReader r, KemPreKey kem) throws CryptoException {
        HybridSignature sig = HybridSignature.read(r, "KEM prekey " + kem.id() + " joint signature");
        SignedPreKey spk = signedPreKey.key();
        long created = spk.createdAt().getEpochSecond();
        sig.verify(identity, SignedPreKey.signedMessage(identity, SignedPreKey.body(spk.id(), created,
                spk.publicKeyUnsafe()), kem), true, "stored joint signature of KEM prekey " + kem.id());
        return new SignedPreKey(spk.id(), created, spk.publicKeyUnsafe(), sig);
    }

    private static int count(int n, int max, String what) throws CryptoException {
        if (n > max) {
            throw new CryptoException(BAD_ENCODING, "key state: " + n + " " + what + ", at most " + max);
        }
        return n;
    }

    /** An id is below its counter (so never given out again) and appears once. */
    private static void checkNewId(int id, int next, boolean alreadyHeld, String what) throws CryptoException {
        if (alreadyHeld) {
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

    // ---- one record per prekey kind ------------------------------------------------------------------------------
    // Each holds its private arrays by reference, not copied: the holder wipes them by identity (persistOrRollBack,
    // close), so a copy would leave a secret unwiped. Never compared, never printed (no array in toString).

    /** A signed X25519 prekey (current or retired) and its private key. */
    @SuppressWarnings("ArrayRecordComponent") // held by identity to be wiped, see above
    private record HeldSignedPreKey(SignedPreKey key, byte[] privateKey) {
        int id() {
            return key.id();
        }

        @Override
        public String toString() {
            return "HeldSignedPreKey[" + key.id() + "]";
        }
    }

    /**
     * An ML-KEM-1024 prekey (last-resort or one-time) and its private key as a 64-byte seed and expanded
     * (expanding costs ~130 us a call); {@code offeredWith} is the current signed prekey signed together with it
     * while it is on offer, null once it is retired.
     */
    @SuppressWarnings("ArrayRecordComponent") // held by identity to be wiped, see above
    private record HeldKemPreKey(KemPreKey key, byte[] seed, byte[] expanded, SignedPreKey offeredWith) {
        int id() {
            return key.id();
        }

        /** The same keys (the same arrays) offered with {@code spk}, or retired if null. */
        HeldKemPreKey offeredWith(SignedPreKey spk) {
            return new HeldKemPreKey(key, seed, expanded, spk);
        }

        @Override
        public String toString() {
            return "HeldKemPreKey[" + key.id() + "]";
        }
    }

    /** A one-time X25519 prekey not yet consumed and its private key. */
    @SuppressWarnings("ArrayRecordComponent") // held by identity to be wiped, see above
    private record HeldOneTimePreKey(OneTimePreKey key, byte[] privateKey) {
        int id() {
            return key.id();
        }

        @Override
        public String toString() {
            return "HeldOneTimePreKey[" + key.id() + "]";
        }
    }
}
