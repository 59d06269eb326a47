-- The organisation relay's member directory and presence (PROTOCOL.md §23.3, §23.5).

-- One entry per member (fingerprint): the certificate it authenticated with in TLS, its bundle, when.
CREATE TABLE directory (
    fingerprint bytea   PRIMARY KEY CHECK (length(fingerprint) = 32),
    name        text    NOT NULL,
    serial      numeric NOT NULL,
    certificate bytea   NOT NULL,
    bundle      bytea   NOT NULL,
    published   bigint  NOT NULL
);
CREATE INDEX directory_order ON directory (name, fingerprint);

-- Each instance's heartbeat (Unix ms): rows of an instance silent for more than 15 s count for nothing.
CREATE TABLE instances (
    id        text   PRIMARY KEY,
    heartbeat bigint NOT NULL
);

-- How many authenticated connections each instance holds of each member.
CREATE TABLE presence (
    instance    text    NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    fingerprint bytea   NOT NULL,
    connections integer NOT NULL CHECK (connections > 0),
    PRIMARY KEY (instance, fingerprint)
);

-- Chat requests too long for one NOTIFY (8000 bytes): the notification names the row (§23.5).
CREATE TABLE bus_request (
    id      bigserial PRIMARY KEY,
    body    bytea     NOT NULL,
    created bigint    NOT NULL
);
