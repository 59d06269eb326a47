package org.securep2p.transport.reliable;

/**
 * A bounded set of disjoint, non-adjacent half-open ranges {@code [low, high)} of non-negative longs, kept
 * in ascending order in two fixed arrays. Used for the packet numbers a receiver acknowledges and for the
 * out-of-order stream bytes it holds. The bound is the point: a peer cannot make it grow, and every operation
 * is a short scan with no allocation.
 *
 * <p>When a new range would exceed the capacity, {@link #add} either refuses it or evicts the lowest range,
 * as the owner chose; refusal leaves the set unchanged.
 */
public final class ReliableRangeSet {

    /** Results of {@link #add}. */
    static final int ADDED = 0;
    static final int ALREADY_PRESENT = 1;
    static final int FULL = 2;

    private final long[] lows;
    private final long[] highs;
    private final boolean evictLowest;
    private int size;

    public ReliableRangeSet(int capacity, boolean evictLowest) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.lows = new long[capacity];
        this.highs = new long[capacity];
        this.evictLowest = evictLowest;
    }

    int size() {
        return size;
    }

    int capacity() {
        return lows.length;
    }

    long low(int i) {
        return lows[i];
    }

    long high(int i) {
        return highs[i];
    }

    boolean contains(long x) {
        for (int i = size - 1; i >= 0; i--) {
            if (x >= highs[i]) {
                return false;
            }
            if (x >= lows[i]) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code [low, high)} could be added without refusal (always true when evicting). */
    boolean canAdd(long low, long high) {
        if (evictLowest || size < lows.length) {
            return true;
        }
        int i = firstTouching(low);
        return i < size && lows[i] <= high;
    }

    /**
     * Adds {@code [low, high)} (low < high), merging with ranges it overlaps or touches. Returns
     * {@link #ALREADY_PRESENT} if it was covered, {@link #FULL} if it needed a new range and the set refuses
     * (or, when evicting, if it lies wholly below every range of a full set), else {@link #ADDED}.
     */
    int add(long low, long high) {
        int i = firstTouching(low);
        int j = i;
        while (j < size && lows[j] <= high) {
            j++;
        }
        if (i == j) {
            if (size == lows.length) {
                if (!evictLowest || i == 0) {
                    return FULL;
                }
                // Forget the lowest range: its packets were acknowledged many times already.
                System.arraycopy(lows, 1, lows, 0, i - 1);
                System.arraycopy(highs, 1, highs, 0, i - 1);
                lows[i - 1] = low;
                highs[i - 1] = high;
                return ADDED;
            }
            System.arraycopy(lows, i, lows, i + 1, size - i);
            System.arraycopy(highs, i, highs, i + 1, size - i);
            lows[i] = low;
            highs[i] = high;
            size++;
            return ADDED;
        }
        if (j == i + 1 && lows[i] <= low && highs[i] >= high) {
            return ALREADY_PRESENT;
        }
        lows[i] = Math.min(low, lows[i]);
        highs[i] = Math.max(high, highs[j - 1]);
        int removed = j - i - 1;
        if (removed > 0) {
            System.arraycopy(lows, j, lows, i + 1, size - j);
            System.arraycopy(highs, j, highs, i + 1, size - j);
            size -= removed;
        }
        return ADDED;
    }

    /** Removes and returns the lowest range's high end if that range starts at {@code low}, else -1. */
    long popIfStartsAt(long low) {
        if (size == 0 || lows[0] != low) {
            return -1;
        }
        long high = highs[0];
        System.arraycopy(lows, 1, lows, 0, size - 1);
        System.arraycopy(highs, 1, highs, 0, size - 1);
        size--;
        return high;
    }

    /** The highest value covered plus one, or -1 if empty. */
    long max() {
        return size == 0 ? -1 : highs[size - 1];
    }

    void clear() {
        size = 0;
    }

    /** The first range whose high end is at or above {@code low} (so it overlaps or touches from below). */
    private int firstTouching(long low) {
        // Most additions land at the top: scan down from there.
        int i = size;
        while (i > 0 && highs[i - 1] >= low) {
            i--;
        }
        return i;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < size; i++) {
            s.append(i == 0 ? "" : " ").append(lows[i]).append("..").append(highs[i]);
        }
        return s.append("]").toString();
    }
}
