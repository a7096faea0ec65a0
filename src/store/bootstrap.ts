import type { JsonObject } from "@bufbuild/protobuf";
import type { BootstrapProfile } from "../domain/bootstrap.js";
import type { BootstrapFulfillment } from "../domain/bootstrap-fulfillments.js";
import { storedLocation } from "../domain/names.js";
import type { Database } from "./database.js";

// The file declares four fields; the others a profile may have gained through
// the API are kept (jsonb_apply_mask, migration 004), and a profile that
// already matches is not written at all.
const DECLARED_PATHS = ["displayName", "automatedAgentConfig.agent", "languageCode", "timeZone"];
const UPSERT_PROFILE = `INSERT INTO conversation_profiles AS stored (project, location, id, body, create_time, update_time)
VALUES ($1, $2, $3, $4::jsonb, now(), now())
ON CONFLICT (project, location, id) DO UPDATE SET
  body = jsonb_apply_mask(stored.body, EXCLUDED.body, $5::text[]), update_time = now()
WHERE jsonb_apply_mask(stored.body, EXCLUDED.body, $5::text[]) IS DISTINCT FROM stored.body`;

// A number keeps its holder when it stays with its profile; one that moves starts free.
const UPSERT_NUMBER = `INSERT INTO profile_phone_numbers (phone_number, project, location, profile_id)
VALUES ($1, $2, $3, $4)
ON CONFLICT (phone_number) DO UPDATE SET
  project = EXCLUDED.project, location = EXCLUDED.location, profile_id = EXCLUDED.profile_id,
  holder_location = NULL, holder_id = NULL, held_until = NULL
WHERE (profile_phone_numbers.project, profile_phone_numbers.location, profile_phone_numbers.profile_id)
  IS DISTINCT FROM (EXCLUDED.project, EXCLUDED.location, EXCLUDED.profile_id)`;

// The fields the file declares are written; a fulfillment that already matches is not written at all.
const UPSERT_FULFILLMENT = `INSERT INTO fulfillments AS stored (project, location, body)
VALUES ($1, $2, $3::jsonb)
ON CONFLICT (project, location) DO UPDATE SET body = jsonb_apply_mask(stored.body, EXCLUDED.body, $4::text[])
WHERE jsonb_apply_mask(stored.body, EXCLUDED.body, $4::text[]) IS DISTINCT FROM stored.body`;

const DROP_UNLISTED_NUMBERS = `DELETE FROM profile_phone_numbers
WHERE project = $1 AND location = $2 AND profile_id = $3 AND NOT (phone_number = ANY($4::text[]))`;

/**
 * Makes the database hold what the bootstrap file declares, in one
 * transaction: loading the same file twice changes nothing the second time.
 */
export async function loadBootstrap(
  database: Database,
  profiles: readonly BootstrapProfile[],
  fulfillments: readonly BootstrapFulfillment[] = [],
): Promise<void> {
  await database.transaction(async (tx) => {
    for (const profile of profiles) {
      const { project, id } = profile.name;
      const location = storedLocation(profile.name);
      await tx.query({ text: UPSERT_PROFILE }, [project, location, id, JSON.stringify(profileBody(profile)), DECLARED_PATHS]);
      for (const number of profile.phoneNumbers) {
        await tx.query({ text: UPSERT_NUMBER }, [number, project, location, id]);
      }
      await tx.query({ text: DROP_UNLISTED_NUMBERS }, [project, location, id, profile.phoneNumbers]);
    }
    for (const fulfillment of fulfillments) {
      const { agent } = fulfillment;
      await tx.query({ text: UPSERT_FULFILLMENT }, [agent.project, storedLocation(agent), JSON.stringify(fulfillment.body), fulfillment.declaredPaths]);
    }
  });
}

/** The proto3 JSON of the declared fields; empty ones are left out, as proto3 JSON does. */
function profileBody(profile: BootstrapProfile): JsonObject {
  const body: JsonObject = { displayName: profile.displayName };
  if (profile.agent !== "") body.automatedAgentConfig = { agent: profile.agent };
  if (profile.languageCode !== "") body.languageCode = profile.languageCode;
  if (profile.timeZone !== "") body.timeZone = profile.timeZone;
  return body;
}
