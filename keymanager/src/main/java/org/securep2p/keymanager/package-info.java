/**
 * The key-manager process that holds every private key (issue 5). Depends on core-crypto only.
 */
package org.securep2p.keymanager;
