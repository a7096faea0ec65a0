import type { BootstrapProfile } from "../domain/bootstrap.js";
import type { Database } from "./database.js";

const UPSERT_PROFILE = `INSERT INTO conversation_profiles
  (project, location, id, display_name, agent, language_code, time_zone, create_time, update_time)
VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now())
ON CONFLICT (project, location, id) DO UPDATE SET
  display_name = EXCLUDED.display_name, agent = EXCLUDED.agent, language_code = EXCLUDED.language_code,
  time_zone = EXCLUDED.time_zone, update_time = now()
WHERE (conversation_profiles.display_name, conversation_profiles.agent, conversation_profiles.language_code, conversation_profiles.time_zone)
  IS DISTINCT FROM (EXCLUDED.display_name, EXCLUDED.agent, EXCLUDED.language_code, EXCLUDED.time_zone)`;

// A number keeps its holder when it stays with its profile; one that moves starts free.
const UPSERT_NUMBER = `INSERT INTO profile_phone_numbers (phone_number, project, location, profile_id)
VALUES ($1, $2, $3, $4)
ON CONFLICT (phone_number) DO UPDATE SET
  project = EXCLUDED.project, location = EXCLUDED.location, profile_id = EXCLUDED.profile_id,
  holder_location = NULL, holder_id = NULL, held_until = NULL
WHERE (profile_phone_numbers.project, profile_phone_numbers.location, profile_phone_numbers.profile_id)
  IS DISTINCT FROM (EXCLUDED.project, EXCLUDED.location, EXCLUDED.profile_id)`;

const DROP_UNLISTED_NUMBERS = `DELETE FROM profile_phone_numbers
WHERE project = $1 AND location = $2 AND profile_id = $3 AND NOT (phone_number = ANY($4::text[]))`;

/**
 * Makes the database hold what the bootstrap file declares, in one
 * transaction: loading the same file twice changes nothing the second time.
 */
export async function loadBootstrap(database: Database, profiles: readonly BootstrapProfile[]): Promise<void> {
  await database.transaction(async (tx) => {
    for (const profile of profiles) {
      const { project, location, id } = profile.name;
      await tx.query({ text: UPSERT_PROFILE }, [project, location, id, profile.displayName, profile.agent, profile.languageCode, profile.timeZone]);
      for (const number of profile.phoneNumbers) {
        await tx.query({ text: UPSERT_NUMBER }, [number, project, location, id]);
      }
      await tx.query({ text: DROP_UNLISTED_NUMBERS }, [project, location, id, profile.phoneNumbers]);
    }
  });
}
