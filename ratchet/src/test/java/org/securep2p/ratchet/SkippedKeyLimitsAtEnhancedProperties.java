package org.securep2p.ratchet;

/**
 * {@link SkippedKeyLimits} at {@code ENHANCED}: a class of its own, so that surefire can run it in one fork while
 * another runs the other levels.
 */
class SkippedKeyLimitsAtEnhancedProperties extends AtEachLevel.Enhanced implements SkippedKeyLimits {
}
