package org.securep2p.keymanager;

import java.io.IOException;
import java.util.Optional;

/**
 * Where the key manager keeps its encoded private-key state between runs.
 *
 * <p>Contract for implementations: {@link #store} is atomic and durable: when it returns, a crash at any later
 * instant finds exactly these bytes; when it throws or the process dies inside it, {@link #load} finds either
 * the previous state or exactly the new one, never a mix, never nothing once something was stored. The bytes
 * are every private key of the identity: a production vault seals them (AEAD under the master key) before they
 * reach a disk. {@link #load} returns a fresh array the caller wipes; {@code store} does not keep its argument.
 *
 * <p>Not its job: the encoding ({@code PrivateKeyState}) or when to store ({@link DurableKeyHolder}).
 */
interface StateVault {

    /** The last state stored, or empty if none ever was. */
    Optional<byte[]> load() throws IOException;

    /** Replaces the stored state atomically and durably. */
    void store(byte[] state) throws IOException;

    /** Where the state lives (a file name), for messages; never any of its content. */
    String location();
}
