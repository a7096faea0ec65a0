-- A profile is kept whole: every field Google defines, as the proto3 JSON of
-- the ConversationProfile (without name and times, which have columns), so a
-- field the client sends is never dropped. Columns stay only where a query
-- needs them: agent decides a conversation's stage.
ALTER TABLE conversation_profiles ADD COLUMN body jsonb;

UPDATE conversation_profiles SET body = jsonb_strip_nulls(jsonb_build_object(
  'displayName', display_name,
  'automatedAgentConfig', CASE WHEN agent <> '' THEN jsonb_build_object('agent', agent) END,
  'languageCode', NULLIF(language_code, ''),
  'timeZone', NULLIF(time_zone, '')));

ALTER TABLE conversation_profiles ALTER COLUMN body SET NOT NULL;
ALTER TABLE conversation_profiles DROP COLUMN display_name, DROP COLUMN language_code, DROP COLUMN time_zone, DROP COLUMN agent;
ALTER TABLE conversation_profiles
  ADD COLUMN agent text GENERATED ALWAYS AS (COALESCE(body -> 'automatedAgentConfig' ->> 'agent', '')) STORED;

-- Copies the value at one path (JSON field names, outermost first) from
-- source into target; a path absent from source is removed from target, which
-- is how proto3 JSON spells a field set to its default (AIP-134).
CREATE FUNCTION jsonb_copy_path(target jsonb, source jsonb, path text[])
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
  head text := path[1];
BEGIN
  IF cardinality(path) = 1 THEN
    IF source ? head THEN
      RETURN target || jsonb_build_object(head, source -> head);
    END IF;
    RETURN target - head;
  END IF;
  -- Neither side has the enclosing message: nothing to copy, nothing to clear.
  IF NOT (target ? head) AND NOT (source ? head) THEN
    RETURN target;
  END IF;
  RETURN target || jsonb_build_object(head,
    jsonb_copy_path(COALESCE(target -> head, '{}'), COALESCE(source -> head, '{}'), path[2:]));
END
$$;

-- Applies an update mask: each dotted path is copied from source into target.
CREATE FUNCTION jsonb_apply_mask(target jsonb, source jsonb, paths text[])
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
  each_path text;
BEGIN
  FOREACH each_path IN ARRAY COALESCE(paths, '{}') LOOP
    target := jsonb_copy_path(target, source, string_to_array(each_path, '.'));
  END LOOP;
  RETURN target;
END
$$;
