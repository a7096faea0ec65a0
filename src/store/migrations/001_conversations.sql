-- Profiles and conversations. A location of '' stands for the project-level
-- name form (projects/{p}/...), which the public API keeps distinct from
-- projects/{p}/locations/{l}/...
CREATE TABLE conversation_profiles (
  project       text        NOT NULL,
  location      text        NOT NULL,
  id            text        COLLATE "C" NOT NULL,
  display_name  text        NOT NULL,
  agent         text        NOT NULL DEFAULT '',
  language_code text        NOT NULL DEFAULT '',
  time_zone     text        NOT NULL DEFAULT '',
  create_time   timestamptz NOT NULL,
  update_time   timestamptz NOT NULL,
  PRIMARY KEY (project, location, id)
);

-- Serves ListConversationProfiles: oldest first, keyset on (create_time, id).
CREATE INDEX conversation_profiles_by_parent ON conversation_profiles (project, location, create_time, id);

-- A conversation is running while end_time is NULL and its time-to-live has
-- not passed; the lifecycle state is derived, never stored, so it cannot
-- disagree with end_time.
CREATE TABLE conversations (
  project              text        NOT NULL,
  location             text        NOT NULL,
  id                   text        COLLATE "C" NOT NULL,
  conversation_profile text        NOT NULL,
  conversation_stage   smallint    NOT NULL,
  start_time           timestamptz NOT NULL,
  end_time             timestamptz,
  phone_number         text,
  PRIMARY KEY (project, location, id)
);

-- Serves ListConversations: newest first, keyset on (start_time, id).
CREATE INDEX conversations_newest_first ON conversations (project, location, start_time DESC, id DESC);

-- Serves the "is this profile still in use" check of DeleteConversationProfile.
CREATE INDEX conversations_running_by_profile ON conversations (project, conversation_profile) WHERE end_time IS NULL;

-- Settings every replica must share, made once by whichever replica migrates first.
CREATE TABLE service_settings (
  name  text PRIMARY KEY,
  value text NOT NULL
);

-- Signs page tokens; shared through the database so a token issued by one
-- replica is accepted by every other.
INSERT INTO service_settings (name, value)
VALUES ('page_token_secret', md5(random()::text || clock_timestamp()::text) || md5(random()::text || clock_timestamp()::text));
