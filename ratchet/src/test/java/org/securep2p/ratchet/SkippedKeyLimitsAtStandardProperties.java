package org.securep2p.ratchet;

/**
 * {@link SkippedKeyLimits} at {@code STANDARD}: a class of its own, so that surefire can run it in one fork while
 * another runs the other levels.
 */
class SkippedKeyLimitsAtStandardProperties extends AtEachLevel.Standard implements SkippedKeyLimits {
}
