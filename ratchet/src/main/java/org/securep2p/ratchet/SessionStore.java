package org.securep2p.ratchet;

import java.util.Optional;

/**
 * Where sessions live between messages. The app implements it on disk; {@link InMemorySessionStore} serves
 * tests.
 *
 * <p>Contract: {@link #store} is atomic and durable: when it returns, the new record has replaced the old one
 * completely and survives a crash (write a temporary file, fsync, rename, fsync the directory); when it
 * throws, the old record is still the stored one. {@link SessionCipher} stores every advanced state before
 * the ciphertext or plaintext it produced becomes visible, so no message key is ever used twice.
 */
public interface SessionStore {

    Optional<SessionRecord> load(String sessionId) throws RatchetException;

    void store(String sessionId, SessionRecord record) throws RatchetException;
}
