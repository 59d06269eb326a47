/**
 * STUN/ICE endpoint discovery, a reliable channel over UDP, TLS 1.3 and TURN relay (issue 4). Depends on core-crypto only.
 */
package org.securep2p.transport;
