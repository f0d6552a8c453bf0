-- Chat: one durable, gapless event log per room.

-- The row for a room is the sequence allocator: a writer locks it (INSERT ... ON CONFLICT DO UPDATE), numbers its
-- events last_seq + 1 .. last_seq + n, inserts them and moves last_seq in the same transaction. Any number of server
-- processes sharing the database therefore allocate disjoint ranges and commit each room's events in seq order, with
-- no gaps. Live fan-out is within one process only; what a connection misses it reads back from this table.
CREATE TABLE chat_room (
    room     text   PRIMARY KEY,
    last_seq bigint NOT NULL DEFAULT 0,
    CONSTRAINT chat_room_name_is_valid CHECK (room ~ '^[A-Za-z0-9_-]{1,64}$'),
    CONSTRAINT chat_room_last_seq_is_not_negative CHECK (last_seq >= 0)
);

CREATE TABLE chat_log (
    room          text        NOT NULL REFERENCES chat_room (room),
    seq           bigint      NOT NULL,
    action        text        NOT NULL,
    username      text        NOT NULL,
    text          text,
    client_msg_id text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room, seq),
    CONSTRAINT chat_log_seq_starts_at_one CHECK (seq >= 1),
    CONSTRAINT chat_log_action_is_known CHECK (action IN ('join', 'message', 'exit')),
    CONSTRAINT chat_log_username_length CHECK (char_length(username) BETWEEN 1 AND 40),
    CONSTRAINT chat_log_message_has_text CHECK ((action = 'message') = (text IS NOT NULL)),
    CONSTRAINT chat_log_text_size CHECK (octet_length(text) <= 65536),
    CONSTRAINT chat_log_client_msg_id_length CHECK (char_length(client_msg_id) BETWEEN 1 AND 128)
);

-- Idempotency: a message id is stored once per room; a resend is answered with the stored seq.
CREATE UNIQUE INDEX chat_log_room_client_msg_id ON chat_log (room, client_msg_id) WHERE client_msg_id IS NOT NULL;
