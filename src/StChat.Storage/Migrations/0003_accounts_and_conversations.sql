-- Accounts, their sessions, direct and group conversations, and read markers.

CREATE TABLE account (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text        NOT NULL,
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT account_name_is_valid CHECK (name ~ '^[A-Za-z0-9_.-]{2,32}$')
);

-- Names are unique without regard to case. text_pattern_ops lets the same index serve the user directory's prefix
-- search (lower(name) LIKE 'an%').
CREATE UNIQUE INDEX account_name_key ON account (lower(name) text_pattern_ops);

-- A session is known by the SHA-256 of its token; the token itself is never stored. Logging out deletes the row.
CREATE TABLE account_session (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash bytea       NOT NULL UNIQUE,
    account_id bigint      NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CONSTRAINT account_session_token_hash_is_sha256 CHECK (octet_length(token_hash) = 32)
);

CREATE INDEX account_session_account ON account_session (account_id);
CREATE INDEX account_session_expires_at ON account_session (expires_at);

-- Conversation keys: public rooms as before, dm:<a>:<b> (the two account names lowercased and sorted) and
-- group:<20 hex digits>.
ALTER TABLE chat_room DROP CONSTRAINT chat_room_name_is_valid;
ALTER TABLE chat_room ADD CONSTRAINT chat_room_key_is_valid CHECK (
    room ~ '^[A-Za-z0-9_-]{1,64}$'
    OR room ~ '^dm:[a-z0-9_.-]{2,32}:[a-z0-9_.-]{2,32}$'
    OR room ~ '^group:[0-9a-f]{20}$');

-- Membership changes of a group are events of its log: member_added / member_removed by `username`, of `member`.
ALTER TABLE chat_log ADD COLUMN member text;
ALTER TABLE chat_log DROP CONSTRAINT chat_log_action_is_known;
ALTER TABLE chat_log ADD CONSTRAINT chat_log_action_is_known
    CHECK (action IN ('join', 'message', 'exit', 'member_added', 'member_removed'));
ALTER TABLE chat_log ADD CONSTRAINT chat_log_member_change_names_member
    CHECK ((action IN ('member_added', 'member_removed')) = (member IS NOT NULL));

-- Direct and group conversations. Public rooms have no row: anyone may read and write them.
CREATE TABLE conversation (
    room       text        PRIMARY KEY,
    kind       text        NOT NULL,
    title      text,
    created_by bigint      REFERENCES account (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conversation_kind_matches_key CHECK (
        (kind = 'direct' AND room ~ '^dm:' AND title IS NULL) OR (kind = 'group' AND room ~ '^group:')),
    CONSTRAINT conversation_title_length CHECK (char_length(title) BETWEEN 1 AND 100)
);

-- Who may read and write a direct or group conversation. A direct conversation has its two accounts from the start;
-- a group's rows change in the same transaction as the member_added / member_removed event that records the change.
CREATE TABLE conversation_member (
    room       text        NOT NULL REFERENCES conversation (room) ON DELETE CASCADE,
    account_id bigint      NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room, account_id)
);

CREATE INDEX conversation_member_account ON conversation_member (account_id);

-- The last seq an account has read in a conversation; it never moves back. For a public room the row also means that
-- the account follows it (subscribed to it or posted in it), which lists the room in GET /api/conversations.
CREATE TABLE read_marker (
    account_id bigint      NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    room       text        NOT NULL,
    seq        bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, room),
    CONSTRAINT read_marker_seq_is_not_negative CHECK (seq >= 0)
);
