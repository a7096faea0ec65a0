import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { FulfillmentSchema, type Fulfillment } from "../gen/google/cloud/dialogflow/v2/fulfillment_pb.js";
import { formatFulfillmentName, storedLocation, type ParentName } from "../domain/names.js";
import { currentCallSignal, withCallSignal } from "./call-signal.js";
import type { Database } from "./database.js";

/** The proto3 JSON of a fulfillment's fields, without its name. */
export type FulfillmentBody = JsonObject;

export interface FulfillmentStore {
  /**
   * The agent's fulfillment; one never written is the default, empty one (disabled, no webhook).
   * `signal`: the call's, when read after the call's first await (see call-signal.ts).
   */
  get(agent: ParentName, signal?: AbortSignal): Promise<Fulfillment>;
  /** Copies the fields at `jsonPaths` (dotted JSON names) from `patch`, creating the fulfillment if need be. */
  update(agent: ParentName, patch: FulfillmentBody, jsonPaths: readonly string[]): Promise<Fulfillment>;
}

const GET = {
  name: "fulfillment_get",
  text: "SELECT body FROM fulfillments WHERE project = $1 AND location = $2",
};

const UPDATE = {
  name: "fulfillment_update",
  // An agent's fulfillment exists with the agent, so an update is an upsert:
  // the mask applies to the stored body, or to the empty one. One round trip.
  text: `INSERT INTO fulfillments AS stored (project, location, body)
VALUES ($1, $2, jsonb_apply_mask('{}'::jsonb, $3::jsonb, $4::text[]))
ON CONFLICT (project, location) DO UPDATE SET body = jsonb_apply_mask(stored.body, $3::jsonb, $4::text[])
RETURNING body`,
};

export function createFulfillmentStore(database: Database): FulfillmentStore {
  // Both spellings of a global name are one row (storedLocation).
  const key = (agent: ParentName) => [agent.project, storedLocation(agent)];
  return {
    async get(agent, signal = currentCallSignal()) {
      const [row] = await withCallSignal(signal, () => database.query<{ body: JsonObject }>(GET, key(agent)));
      return toFulfillment(row?.body ?? {}, agent);
    },

    async update(agent, patch, jsonPaths) {
      const [row] = await database.query<{ body: JsonObject }>(UPDATE, [...key(agent), JSON.stringify(patch), jsonPaths]);
      if (row === undefined) throw new Error("INSERT ... RETURNING returned no row");
      return toFulfillment(row.body, agent);
    },
  };
}

/** The one place a stored body becomes a Fulfillment, named in the form of `as`. */
function toFulfillment(body: JsonObject, as: ParentName): Fulfillment {
  // Fields a newer proto dropped are skipped rather than failing the read.
  const fulfillment = fromJson(FulfillmentSchema, body, { ignoreUnknownFields: true });
  fulfillment.name = formatFulfillmentName(as);
  return fulfillment;
}
