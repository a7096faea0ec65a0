-- 009's NOTIFY fired for every statement that could insert into the outbox,
-- also when it inserted nothing (statement triggers fire on zero rows): every
-- CreateConversation and CompleteConversation of a profile without a
-- notification topic (and every sweep) woke every relay, which then ran a
-- transaction to find nothing, and every such commit queued a notification.
-- Fired per inserted row it is sent only when an event was written; Postgres
-- still delivers one per transaction (identical notifications are folded).
DROP TRIGGER event_outbox_notify ON event_outbox;
CREATE TRIGGER event_outbox_notify AFTER INSERT ON event_outbox
  FOR EACH ROW EXECUTE FUNCTION notify_event_outbox();
