-- The transactional outbox of conversation events: each row is written by the
-- statement that makes the change (create, complete, a stored message, the
-- sweep's completion), so an event exists exactly when its change committed,
-- and is deleted once Pub/Sub has acknowledged it (src/events/). Rows are
-- transient: reset clears them with the project, export / import skips them.
CREATE TABLE event_outbox (
  -- Commit order is not id order, but within one conversation it is: every
  -- statement that writes an event holds the conversation's row lock.
  id                 bigserial   PRIMARY KEY,
  project            text        NOT NULL,
  location           text        NOT NULL,
  conversation_id    text        COLLATE "C" NOT NULL,
  -- ConversationEvent.Type number.
  event_type         smallint    NOT NULL,
  -- The topic as the profile names it (either form; see events/pubsub-topic.ts).
  topic              text        NOT NULL,
  -- NotificationConfig.message_format as the profile's JSON spells it ('' for the default).
  message_format     text        NOT NULL DEFAULT '',
  -- NEW_MESSAGE: the stored message as message-row.ts selects it.
  message            jsonb,
  create_time        timestamptz NOT NULL DEFAULT now(),
  attempts           integer     NOT NULL DEFAULT 0,
  next_attempt_time  timestamptz NOT NULL DEFAULT now(),
  -- When publishing it first failed because the topic does not exist.
  missing_topic_since timestamptz
);

-- The relay publishes a conversation's events in id order: this finds whether
-- an earlier one is still waiting.
CREATE INDEX event_outbox_by_conversation ON event_outbox (project, location, conversation_id, id);

-- Wakes the relays (LISTEN conversation_events) when a statement wrote events;
-- delivered at commit, once per transaction.
CREATE FUNCTION notify_event_outbox() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM pg_notify('conversation_events', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER event_outbox_notify AFTER INSERT ON event_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION notify_event_outbox();
