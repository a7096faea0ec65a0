-- The relays are no longer woken by NOTIFY: a transaction that notifies takes
-- a database-wide lock from its commit until its commit record is flushed, so
-- the create, complete and message statements of every profile with a topic
-- committed one after another, and each inserted row ran the trigger. The
-- process whose statement wrote events wakes its own relay instead
-- (store/outbox-writes.ts); other relays find what a relay that died left at
-- their poll.
DROP TRIGGER event_outbox_notify ON event_outbox;
DROP FUNCTION notify_event_outbox();
