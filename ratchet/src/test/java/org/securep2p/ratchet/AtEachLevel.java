package org.securep2p.ratchet;

import org.securep2p.crypto.SecurityLevel;

/**
 * The per-level setup the ratchet's property classes share. A property class writes its properties as default
 * methods of a contract that extends this interface, and runs them at every level with three one-line jqwik
 * groups:
 *
 * <pre>{@code
 * @Group class Standard extends AtEachLevel.Standard implements Contract {}
 * @Group class Enhanced extends AtEachLevel.Enhanced implements Contract {}
 * @Group class QuantumResistant extends AtEachLevel.QuantumResistant implements Contract {}
 * }</pre>
 *
 * so a failing try names its level in the report, and a new level is added here once.
 */
interface AtEachLevel {

    /** The security level the properties run at. */
    SecurityLevel level();

    abstract class Standard implements AtEachLevel {
        @Override
        public final SecurityLevel level() {
            return SecurityLevel.STANDARD;
        }
    }

    abstract class Enhanced implements AtEachLevel {
        @Override
        public final SecurityLevel level() {
            return SecurityLevel.ENHANCED;
        }
    }

    abstract class QuantumResistant implements AtEachLevel {
        @Override
        public final SecurityLevel level() {
            return SecurityLevel.QUANTUM_RESISTANT;
        }
    }
}
