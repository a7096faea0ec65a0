-- Finds running conversations past their time-to-live for the sweep.
CREATE INDEX conversations_running_by_start ON conversations (start_time) WHERE end_time IS NULL;

-- Finds ended conversations past the retention for the purge.
CREATE INDEX conversations_ended_by_end ON conversations (end_time) WHERE end_time IS NOT NULL;

-- Telephony numbers of profiles, declared by the bootstrap file. A number is
-- held by at most one running conversation: the holder is written on the
-- number's own row, so assignment is decided by a row lock on that row
-- rather than by a check against other rows that a concurrent statement's
-- snapshot could miss. held_until is the holder's time-to-live, so a
-- conversation that completes by itself releases its number with no write.
CREATE TABLE profile_phone_numbers (
  phone_number    text        PRIMARY KEY,
  project         text        NOT NULL,
  location        text        NOT NULL,
  profile_id      text        COLLATE "C" NOT NULL,
  holder_location text,
  holder_id       text        COLLATE "C",
  held_until      timestamptz
);

CREATE INDEX profile_phone_numbers_by_profile ON profile_phone_numbers (project, location, profile_id, phone_number);
