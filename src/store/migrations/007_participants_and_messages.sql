-- Participants and the messages they post, each in a table of its own keyed
-- by their conversation's key (project, stored location, conversation ID).
-- No foreign keys: export / import writes tables in any order, and the purge
-- removes a conversation's rows in bounded batches of its own (sweeps.ts).

-- body is the proto3 JSON of the Participant's settable fields, so every field
-- Google defines round-trips; role has a column because it is immutable and
-- AnalyzeContent reads it with the message insert.
CREATE TABLE participants (
  project         text        NOT NULL,
  location        text        NOT NULL,
  conversation_id text        COLLATE "C" NOT NULL,
  id              text        COLLATE "C" NOT NULL,
  role            smallint    NOT NULL,
  body            jsonb       NOT NULL DEFAULT '{}',
  create_time     timestamptz NOT NULL,
  PRIMARY KEY (project, location, conversation_id, id)
);

-- Serves ListParticipants: oldest first, keyset on (create_time, id).
CREATE INDEX participants_by_conversation ON participants (project, location, conversation_id, create_time, id);

-- Sized for 100 M rows: the primary key is the transcript's keyset index
-- (ListMessages reads it backwards, newest first), so every insert maintains
-- two indexes, this one and the request_id one, which holds only turns that
-- carried a request_id.
CREATE TABLE messages (
  project          text        NOT NULL,
  location         text        NOT NULL,
  conversation_id  text        COLLATE "C" NOT NULL,
  create_time      timestamptz NOT NULL,
  id               text        COLLATE "C" NOT NULL,
  participant_id   text        COLLATE "C" NOT NULL,
  participant_role smallint    NOT NULL,
  content          text        NOT NULL,
  language_code    text        NOT NULL,
  -- AnalyzeContent's request_id: the same one on the same participant stores once.
  request_id       text,
  -- The automated agent's answer to this turn (AutomatedAgentReply JSON, reply
  -- text, the reply message's ID), so a repeated request_id answers the same.
  automated_reply  jsonb,
  PRIMARY KEY (project, location, conversation_id, create_time, id)
);

CREATE UNIQUE INDEX messages_by_request_id ON messages (project, location, conversation_id, participant_id, request_id)
  WHERE request_id IS NOT NULL;
