package org.securep2p.ratchet;

/**
 * {@link SkippedKeyLimits} at {@code QUANTUM_RESISTANT}: a class of its own, so that surefire can run it in one fork while
 * another runs the other levels.
 */
class SkippedKeyLimitsAtQuantumResistantProperties extends AtEachLevel.QuantumResistant implements SkippedKeyLimits {
}
