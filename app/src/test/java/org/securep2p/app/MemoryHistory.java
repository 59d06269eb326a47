package org.securep2p.app;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.securep2p.app.history.HistoryException;
import org.securep2p.app.history.HistoryMessage;
import org.securep2p.app.history.HistoryStore;
import org.securep2p.crypto.Fingerprint;

/**
 * A {@link HistoryStore} in memory that follows the contract (append once per id, delivery of sent messages
 * only, unique names case-insensitively): the engine's tests run against it, not against SQLite. A test may
 * make the next call fail.
 */
final class MemoryHistory implements HistoryStore {

    private final Map<Fingerprint, List<HistoryMessage>> messages = new HashMap<>();
    private final Map<Fingerprint, String> names = new HashMap<>();
    private long nextPosition = 1;
    volatile HistoryException failNext;

    private void maybeFail() throws HistoryException {
        HistoryException e = failNext;
        failNext = null;
        if (e != null) {
            throw e;
        }
    }

    /** Called before every append, outside the store's lock: a test may block one conversation's appends here. */
    volatile java.util.function.BiConsumer<Fingerprint, HistoryMessage> beforeAppend = (p, m) -> { };

    @Override
    public boolean append(Fingerprint peer, HistoryMessage m) throws HistoryException {
        beforeAppend.accept(peer, m);
        return appendNow(peer, m);
    }

    private synchronized boolean appendNow(Fingerprint peer, HistoryMessage m) throws HistoryException {
        maybeFail();
        List<HistoryMessage> list = messages.computeIfAbsent(peer, p -> new ArrayList<>());
        if (list.stream().anyMatch(x -> x.id().equals(m.id()))) {
            return false;
        }
        list.add(new HistoryMessage(nextPosition++, m.id(), m.time(), m.direction(), m.text(), m.delivery(),
                m.failureReason(), m.read()));
        return true;
    }

    @Override
    public synchronized boolean updateDelivery(Fingerprint peer, String id, HistoryMessage.Delivery delivery,
            Optional<String> reason) throws HistoryException {
        maybeFail();
        List<HistoryMessage> list = messages.getOrDefault(peer, List.of());
        for (int i = 0; i < list.size(); i++) {
            HistoryMessage m = list.get(i);
            if (m.id().equals(id) && m.direction() == HistoryMessage.Direction.SENT) {
                list.set(i, new HistoryMessage(m.position(), m.id(), m.time(), m.direction(), m.text(), delivery,
                        delivery == HistoryMessage.Delivery.FAILED ? reason : Optional.empty(), m.read()));
                return true;
            }
        }
        return false;
    }

    @Override
    public synchronized List<HistoryMessage> page(Fingerprint peer, Optional<Long> before, int limit)
            throws HistoryException {
        maybeFail();
        List<HistoryMessage> list = messages.getOrDefault(peer, List.of()).stream()
                .filter(m -> before.isEmpty() || m.position() < before.get()).toList();
        return List.copyOf(list.subList(Math.max(0, list.size() - limit), list.size()));
    }

    @Override
    public synchronized List<ConversationSummary> conversations() throws HistoryException {
        maybeFail();
        List<ConversationSummary> out = new ArrayList<>();
        java.util.Set<Fingerprint> peers = new java.util.HashSet<>(messages.keySet());
        peers.addAll(names.keySet());
        for (Fingerprint p : peers) {
            List<HistoryMessage> list = messages.getOrDefault(p, List.of());
            int unread = (int) list.stream().filter(m -> !m.read()).count();
            Optional<Instant> last = list.stream().map(HistoryMessage::time).max(Comparator.naturalOrder());
            out.add(new ConversationSummary(p, Optional.ofNullable(names.get(p)), unread, last, list.size()));
        }
        out.sort(Comparator.comparing((ConversationSummary c) -> c.lastTime().orElse(Instant.MIN)).reversed());
        return out;
    }

    @Override
    public synchronized void markRead(Fingerprint peer) throws HistoryException {
        maybeFail();
        List<HistoryMessage> list = messages.getOrDefault(peer, List.of());
        for (int i = 0; i < list.size(); i++) {
            HistoryMessage m = list.get(i);
            list.set(i, new HistoryMessage(m.position(), m.id(), m.time(), m.direction(), m.text(), m.delivery(),
                    m.failureReason(), true));
        }
    }

    @Override
    public synchronized int clear(Fingerprint peer) throws HistoryException {
        maybeFail();
        List<HistoryMessage> removed = messages.remove(peer);
        return removed == null ? 0 : removed.size();
    }

    @Override
    public synchronized int expire(Instant now) throws HistoryException {
        maybeFail();
        return 0;
    }

    @Override
    public synchronized Optional<String> contactName(Fingerprint peer) throws HistoryException {
        maybeFail();
        return Optional.ofNullable(names.get(peer));
    }

    @Override
    public synchronized void setContactName(Fingerprint peer, String name) throws HistoryException {
        maybeFail();
        Optional<Fingerprint> holder = contactNamed(name);
        if (holder.isPresent() && !holder.get().equals(peer)) {
            throw new HistoryException(HistoryException.Reason.NAME_TAKEN, "the name is taken");
        }
        names.put(peer, name.strip());
    }

    @Override
    public synchronized Optional<Fingerprint> contactNamed(String name) throws HistoryException {
        String key = name.strip().toLowerCase(Locale.ROOT);
        return names.entrySet().stream().filter(e -> e.getValue().toLowerCase(Locale.ROOT).equals(key))
                .map(Map.Entry::getKey).findFirst();
    }

    /** Every stored message of {@code peer}, oldest first. */
    synchronized List<HistoryMessage> all(Fingerprint peer) {
        return List.copyOf(messages.getOrDefault(peer, List.of()));
    }

    @Override
    public void close() {
    }
}
