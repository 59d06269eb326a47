-- The relay's mailboxes and items (PROTOCOL.md §22.3) on PostgreSQL, shared by every instance (§23.5).
-- Times are Unix milliseconds, as in the SQLite store.

-- next_seq is the per-mailbox counter: a POST takes it with UPDATE ... RETURNING, which also locks the row, so
-- the POSTs of one mailbox are serialised (the quota check sees every committed item) and a sequence is never
-- reused, even after a DELETE.
CREATE TABLE mailbox (
    id          bytea  PRIMARY KEY,
    receive_key bytea  NOT NULL,
    send_key    bytea  NOT NULL,
    next_seq    bigint NOT NULL,
    created     bigint NOT NULL
);

CREATE TABLE item (
    mailbox bytea   NOT NULL REFERENCES mailbox (id),
    seq     bigint  NOT NULL,
    posted  bigint  NOT NULL,
    expires bigint  NOT NULL,
    size    integer NOT NULL,
    blob    bytea   NOT NULL,
    PRIMARY KEY (mailbox, seq)
);

CREATE INDEX item_expires ON item (expires);
-- Covers the quota check of every POST (count and bytes of unexpired items).
CREATE INDEX item_quota ON item (mailbox, expires) INCLUDE (size);

-- How many mailboxes exist: the cap is checked and counted in the CREATE's transaction, on this one row.
CREATE TABLE mailbox_count (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    n        bigint  NOT NULL
);
INSERT INTO mailbox_count (n) VALUES (0);
