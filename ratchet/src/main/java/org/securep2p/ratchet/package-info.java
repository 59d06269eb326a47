/**
 * The Double Ratchet with header encryption and a post-quantum ML-KEM step (issue 3). Depends on core-crypto only.
 */
package org.securep2p.ratchet;
