-- Deletes a profile unless a running conversation uses it, in one call.
--
-- A single DELETE ... WHERE NOT EXISTS (running conversation) reads
-- conversations through the snapshot taken when it started, so a create that
-- commits meanwhile goes unseen and leaves a conversation on a deleted
-- profile. Here the profile row is locked first (creates hold FOR KEY SHARE on
-- it while they insert), and the check that follows is a new statement with a
-- new snapshot, which sees every create that got in before the lock.
CREATE FUNCTION delete_conversation_profile(p_project text, p_location text, p_id text, p_name text, p_ttl interval)
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
    WHERE project = p_project AND conversation_profile = p_name AND end_time IS NULL AND start_time + p_ttl > now()
  ) THEN
    RETURN 'in_use';
  END IF;
  DELETE FROM profile_phone_numbers WHERE project = p_project AND location = p_location AND profile_id = p_id;
  DELETE FROM conversation_profiles WHERE project = p_project AND location = p_location AND id = p_id;
  RETURN 'deleted';
END
$$;
