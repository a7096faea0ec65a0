-- One global location: Google documents `projects/P/...` (no location) as the
-- global location, so both name forms are one row, stored as 'global'. A
-- project-level row whose ID is also taken under locations/global (possible
-- before this migration) keeps location '' and is no longer reachable; the
-- locations/global row wins.
UPDATE conversation_profiles AS p SET location = 'global'
WHERE location = '' AND NOT EXISTS (
  SELECT 1 FROM conversation_profiles AS g WHERE g.project = p.project AND g.location = 'global' AND g.id = p.id);

UPDATE conversations AS c SET location = 'global'
WHERE location = '' AND NOT EXISTS (
  SELECT 1 FROM conversations AS g WHERE g.project = c.project AND g.location = 'global' AND g.id = c.id);

UPDATE profile_phone_numbers SET location = 'global' WHERE location = '';
UPDATE profile_phone_numbers SET holder_location = 'global' WHERE holder_location = '';

-- The profile a conversation runs on, by key rather than by the name as the
-- caller wrote it (which may be either form); conversation_profile keeps the
-- caller's spelling for responses.
ALTER TABLE conversations
  ADD COLUMN profile_location text,
  ADD COLUMN profile_id text COLLATE "C",
  -- The profile as it was when the conversation started (initial_conversation_profile),
  -- the proto3 JSON of the ConversationProfile with its times, without its name.
  ADD COLUMN initial_profile jsonb,
  -- IngestContextReferences: the proto3 JSON map of context references by key.
  ADD COLUMN context_references jsonb NOT NULL DEFAULT '{}';

UPDATE conversations SET
  profile_location = COALESCE(NULLIF(substring(conversation_profile FROM '^projects/[^/]+/locations/([^/]+)/'), ''), 'global'),
  profile_id = substring(conversation_profile FROM '/conversationProfiles/([^/]+)$');

ALTER TABLE conversations ALTER COLUMN profile_location SET NOT NULL, ALTER COLUMN profile_id SET NOT NULL;

-- Conversations from before snapshots existed get the profile as it is now, when it still exists.
UPDATE conversations AS c SET initial_profile = p.body || jsonb_build_object(
    'createTime', to_char(p.create_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'updateTime', to_char(p.update_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
FROM conversation_profiles AS p
WHERE p.project = c.project AND p.location = c.profile_location AND p.id = c.profile_id;

DROP INDEX conversations_running_by_profile;
-- Serves the "is this profile still in use" check of DeleteConversationProfile.
CREATE INDEX conversations_running_by_profile ON conversations (project, profile_location, profile_id) WHERE end_time IS NULL;

-- Deletes a profile unless a running conversation uses it or telephony
-- numbers are attached to it (Google refuses both), in one call. The profile
-- row is locked first; see migration 003 for why the check must follow the lock.
DROP FUNCTION delete_conversation_profile(text, text, text, text, interval);
CREATE FUNCTION delete_conversation_profile(p_project text, p_location text, p_id text, p_ttl interval)
RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $$
BEGIN
  PERFORM 1 FROM conversation_profiles
  WHERE project = p_project AND location = p_location AND id = p_id
  FOR UPDATE;
  IF NOT FOUND THEN
    RETURN 'not_found';
  END IF;
  IF EXISTS (
    SELECT 1 FROM conversations
    WHERE project = p_project AND profile_location = p_location AND profile_id = p_id
      AND end_time IS NULL AND start_time + p_ttl > now()
  ) THEN
    RETURN 'in_use';
  END IF;
  IF EXISTS (SELECT 1 FROM profile_phone_numbers WHERE project = p_project AND location = p_location AND profile_id = p_id) THEN
    RETURN 'has_numbers';
  END IF;
  DELETE FROM conversation_profiles WHERE project = p_project AND location = p_location AND id = p_id;
  RETURN 'deleted';
END
$$;
