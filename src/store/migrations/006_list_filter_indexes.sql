-- Serves ListConversations filtered on lifecycle_state = IN_PROGRESS: the
-- running conversations of a parent, newest first. Partial, so it holds only
-- rows that have not ended; a completed row leaves it.
CREATE INDEX conversations_running_newest_first ON conversations (project, location, start_time DESC, id DESC)
WHERE end_time IS NULL;

-- Serves ListConversations filtered on conversation_profile = X: a
-- conversation's profile is always in its own project and location, so the
-- profile ID picks its rows.
CREATE INDEX conversations_by_profile_newest_first ON conversations (project, location, profile_id, start_time DESC, id DESC);
