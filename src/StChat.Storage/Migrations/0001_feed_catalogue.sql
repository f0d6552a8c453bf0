-- The feed catalogue: one row per message captured by the JetStream stream, keyed by (stream, stream_seq).
-- stream_seq is unique only within one stream, and a stream that is deleted and created again starts from 1,
-- so the stream name is part of the key: ingesting into a new stream name never collides with older rows.
-- published_at is the broker's capture time (JetStream metadata); stored_at is when the batch was committed.
-- A message is stored in exactly one of sport_event, execution and feed_rejects. The keys below hold that only within
-- each table; the worker's inserts skip a (stream, stream_seq) present in another table, and it takes a stored
-- (stream, stream_seq) with another published_at for a recreated stream (a redelivery keeps its timestamp).

CREATE TABLE sport_event (
    stream        text        NOT NULL,
    stream_seq    bigint      NOT NULL,
    sport         text        NOT NULL,
    match_title   text        NOT NULL,
    data_event    text        NOT NULL,
    published_at  timestamptz NOT NULL,
    stored_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, stream_seq)
);
CREATE INDEX sport_event_published_at ON sport_event (published_at);
CREATE INDEX sport_event_sport_published_at ON sport_event (sport, published_at);

CREATE TABLE execution (
    stream           text        NOT NULL,
    stream_seq       bigint      NOT NULL,
    symbol           text        NOT NULL,
    market           text        NOT NULL,
    price            real        NOT NULL,
    quantity         real        NOT NULL,
    execution_epoch  bigint      NOT NULL,
    state_symbol     text        NOT NULL,
    published_at     timestamptz NOT NULL,
    stored_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, stream_seq)
);
CREATE INDEX execution_published_at ON execution (published_at);
CREATE INDEX execution_symbol_published_at ON execution (symbol, published_at);

CREATE TABLE feed_rejects (
    stream        text        NOT NULL,
    stream_seq    bigint      NOT NULL,
    subject       text        NOT NULL,
    payload       bytea       NOT NULL,
    error         text        NOT NULL,
    published_at  timestamptz NOT NULL,
    stored_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, stream_seq)
);
CREATE INDEX feed_rejects_published_at ON feed_rejects (published_at);

-- Which incarnation of each stream the catalogue was filled from. A stream deleted and created again under the same
-- name restarts its sequence numbers; the worker compares the broker's creation time with this row and refuses to
-- run rather than mistake new messages for already-stored ones.
CREATE TABLE feed_streams (
    stream      text        PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now()
);
