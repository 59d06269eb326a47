package org.securep2p.ratchet;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link SessionStore} in memory: atomic (a reference swap) but not durable. For tests and benchmarks. */
public final class InMemorySessionStore implements SessionStore {

    private final Map<String, SessionRecord> records = new ConcurrentHashMap<>();

    @Override
    public Optional<SessionRecord> load(String sessionId) {
        return Optional.ofNullable(records.get(sessionId));
    }

    @Override
    public void store(String sessionId, SessionRecord record) {
        records.put(sessionId, record);
    }
}
