package org.securep2p.crypto;

/**
 * Where an {@link InMemoryPrivateKeys} writes its whole private state after every change that must survive a
 * crash (a one-time prekey consumed, prekeys rotated or replenished). Attached only through
 * {@link PrivateKeyState#attachSealedStorageSink}.
 *
 * <p>Contract for implementations: when {@link #persist} returns normally, the state is durable (a crash at
 * any later instant finds it, or a newer one); when it throws, the previous durable state is intact or the new
 * one is. The array holds private keys: it must be sealed (AEAD under the master key) before it reaches a
 * disk, must not be kept after {@code persist} returns (the caller wipes it then), and must never be logged.
 *
 * <p>Not its job: deciding when to persist; the key holder calls it before the effect it guards is visible.
 */
@FunctionalInterface
public interface StateSink {

    /**
     * Makes {@code encodedState} durable, or throws {@code STATE_NOT_PERSISTED}; the operation that asked
     * then fails without returning its result.
     */
    void persist(byte[] encodedState) throws CryptoException;
}
