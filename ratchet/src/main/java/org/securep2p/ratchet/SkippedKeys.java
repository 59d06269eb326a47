package org.securep2p.ratchet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Message keys of messages not yet received, by (header key, message number), oldest first. Immutable: every
 * change returns a new store, so a session copy can share it until it changes; at most
 * {@link RatchetLimits#MAX_SKIPPED_KEYS} keys are kept (the oldest is dropped and wiped).
 */
final class SkippedKeys {

    static final SkippedKeys EMPTY = new SkippedKeys(new LinkedHashMap<>());

    /** A chain's identity (its header key, or 32 zero bytes for STANDARD's single receiving chain) and index. */
    record Slot(Key chain, int n) {
    }

    /** A chain id with value equality, for map keys; holds its own copy (the header key it names is wiped). */
    @SuppressWarnings("ArrayRecordComponent") // copied in; equals and hashCode below compare the contents
    record Key(byte[] bytes) {
        Key {
            bytes = bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            // Chain ids are header keys: compared in constant time.
            return o instanceof Key k && java.security.MessageDigest.isEqual(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Key[" + bytes.length + " bytes]";
        }
    }

    private final LinkedHashMap<Slot, MessageKey> keys;

    @SuppressWarnings("NonApiType") // as of(): insertion order is the eviction order
    private SkippedKeys(LinkedHashMap<Slot, MessageKey> keys) {
        this.keys = keys;
    }

    int size() {
        return keys.size();
    }

    MessageKey get(byte[] chain, int n) {
        return keys.get(new Slot(new Key(chain), n));
    }

    /** The distinct chains that have skipped keys, oldest first. */
    List<byte[]> chains() {
        List<byte[]> out = new ArrayList<>();
        LinkedHashMap<Key, Boolean> seen = new LinkedHashMap<>();
        for (Slot s : keys.keySet()) {
            if (seen.putIfAbsent(s.chain(), Boolean.TRUE) == null) {
                out.add(s.chain().bytes());
            }
        }
        return out;
    }

    /**
     * A store with {@code newKeys} added (in order) and the oldest evicted beyond the limit. An evicted key
     * that {@code stored} (the store of the state the operation started from) holds is not wiped here: it is
     * the stored state's until the new state is stored, and {@link #wipeKeysNotIn} wipes it then. Any other
     * evicted key was derived during this operation (by this call or an earlier one, e.g. the skip of the old
     * chain before a DH step's skip in the new one) and nobody else will ever wipe it: it is wiped now.
     */
    SkippedKeys plus(List<Map.Entry<Slot, MessageKey>> newKeys, SkippedKeys stored) {
        if (newKeys.isEmpty()) {
            return this;
        }
        LinkedHashMap<Slot, MessageKey> copy = new LinkedHashMap<>(keys);
        for (Map.Entry<Slot, MessageKey> e : newKeys) {
            copy.put(e.getKey(), e.getValue());
        }
        Iterator<Map.Entry<Slot, MessageKey>> it = copy.entrySet().iterator();
        while (copy.size() > RatchetLimits.MAX_SKIPPED_KEYS) {
            Map.Entry<Slot, MessageKey> evicted = it.next();
            if (stored.keys.get(evicted.getKey()) != evicted.getValue()) {
                evicted.getValue().wipe(); // derived during this operation: nobody else holds it
            }
            it.remove();
        }
        return new SkippedKeys(copy);
    }

    /** A store without the keys of {@code chain} (a receiving chain the session no longer remembers). */
    SkippedKeys withoutChain(byte[] chain) {
        Key gone = new Key(chain);
        LinkedHashMap<Slot, MessageKey> copy = new LinkedHashMap<>(keys);
        copy.keySet().removeIf(slot -> slot.chain().equals(gone));
        return copy.size() == keys.size() ? this : new SkippedKeys(copy);
    }

    /** A store without the key at (chain, n); the caller wipes the removed key after use. */
    SkippedKeys minus(byte[] chain, int n) {
        LinkedHashMap<Slot, MessageKey> copy = new LinkedHashMap<>(keys);
        copy.remove(new Slot(new Key(chain), n));
        return new SkippedKeys(copy);
    }

    Map<Slot, MessageKey> entries() {
        return java.util.Collections.unmodifiableMap(keys);
    }

    @SuppressWarnings("NonApiType") // insertion order is the eviction order: the type says so
    static SkippedKeys of(LinkedHashMap<Slot, MessageKey> keys) {
        return new SkippedKeys(keys);
    }

    /** Wipes the keys (and their chain ids) this store holds that {@code successor} no longer holds. */
    @SuppressWarnings("ReferenceEquality") // by identity: a chain id instance is shared by its slots, wiped once
    void wipeKeysNotIn(SkippedKeys successor) {
        if (successor == this) {
            return;
        }
        List<Map.Entry<Slot, MessageKey>> gone = new ArrayList<>();
        for (Map.Entry<Slot, MessageKey> e : keys.entrySet()) {
            if (successor.keys.get(e.getKey()) != e.getValue()) {
                gone.add(e);
            }
        }
        // The chain ids the successor still uses, by identity, gathered once: scanning its slots for every gone
        // key made a ratchet step that drops many skipped keys quadratic.
        Set<Key> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        successor.keys.keySet().forEach(slot -> kept.add(slot.chain()));
        // Wiped after the scan: wiping a chain id changes the map key it belongs to.
        for (Map.Entry<Slot, MessageKey> e : gone) {
            e.getValue().wipe();
            if (!kept.contains(e.getKey().chain())) {
                Arrays.fill(e.getKey().chain().bytes(), (byte) 0);
            }
        }
    }

    void wipeAll() {
        keys.forEach((slot, k) -> {
            k.wipe();
            Arrays.fill(slot.chain().bytes(), (byte) 0);
        });
    }
}
