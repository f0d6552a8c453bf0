-- Presence across chat nodes (Chat:Bus=nats). A public room's join is written when a user's first connection to it
-- anywhere opens, and the exit after the last one closes; `who` and the user directory's online dots count every
-- live node. Each node refreshes its chat_node row every Chat:PresenceHeartbeat; one silent for Chat:PresenceTimeout
-- is dead, and the first survivor to notice removes its rows and writes the exits of its users who are connected
-- nowhere else.

CREATE TABLE chat_node (
    node       text        PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per node, public room and user with at least one connection to the room on that node.
CREATE TABLE chat_presence (
    room     text NOT NULL,
    username text NOT NULL,
    node     text NOT NULL,
    PRIMARY KEY (room, username, node)
);

CREATE INDEX chat_presence_node ON chat_presence (node);

-- One row per node and user with any socket open there.
CREATE TABLE chat_online (
    username text NOT NULL,
    node     text NOT NULL,
    PRIMARY KEY (username, node)
);

CREATE INDEX chat_online_lower_username ON chat_online (lower(username));
CREATE INDEX chat_online_node ON chat_online (node);
