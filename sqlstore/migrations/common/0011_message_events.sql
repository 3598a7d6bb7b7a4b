-- Task events (a call's start, connection, media changes and end) live in
-- their task's message log, numbered with its messages: a system message
-- whose event column holds the event as JSON ('' for every other message).
ALTER TABLE messages ADD COLUMN event TEXT NOT NULL DEFAULT '';
