import { fromJson, toJson, type JsonObject } from "@bufbuild/protobuf";
import { FulfillmentSchema } from "../gen/google/cloud/dialogflow/v2/fulfillment_pb.js";
import { InvalidFieldError } from "./errors.js";
import { checkFulfillmentFields } from "./fulfillment-fields.js";
import { canonicalParent, parseFulfillmentName, type ParentName } from "./names.js";

// The bootstrap file's `fulfillments`: each a Fulfillment in Google's proto3
// JSON (as GetFulfillment answers it), name included. Errors name the JSON path.

export interface BootstrapFulfillment {
  readonly agent: ParentName;
  /** The proto3 JSON of the declared fields, without the name. */
  readonly body: JsonObject;
  /** The top-level fields the file declares (JSON names): these are written, the others kept. */
  readonly declaredPaths: readonly string[];
}

export function parseBootstrapFulfillments(json: unknown): BootstrapFulfillment[] {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return [];
  const list = (json as Record<string, unknown>).fulfillments ?? [];
  if (!Array.isArray(list)) throw new InvalidFieldError("$.fulfillments", "must be an array");
  const seen = new Set<string>();
  return list.map((item: unknown, index) => {
    const path = `$.fulfillments[${index}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw new InvalidFieldError(path, "must be a JSON object");
    const entry = item as JsonObject;
    const fulfillment = (() => {
      try {
        return fromJson(FulfillmentSchema, entry);
      } catch (error) {
        throw new InvalidFieldError(path, `is not a Fulfillment in proto3 JSON: ${(error as Error).message}`);
      }
    })();
    const agent = parseFulfillmentName(fulfillment.name, `${path}.name`);
    const key = JSON.stringify(canonicalParent(agent));
    if (seen.has(key)) throw new InvalidFieldError(`${path}.name`, "declares this agent's fulfillment a second time");
    seen.add(key);
    try {
      checkFulfillmentFields(fulfillment, () => true);
    } catch (error) {
      if (error instanceof InvalidFieldError) throw new InvalidFieldError(`${path}.${error.field.replace(/^fulfillment\./, "")}`, error.rule);
      throw error;
    }
    // Stored in the JSON names whichever spelling the file used, so the mask meets the stored keys.
    const body = toJson(FulfillmentSchema, fulfillment) as JsonObject;
    delete body.name;
    const declaredPaths = FulfillmentSchema.fields
      .filter((field) => field.name !== "name" && (field.name in entry || field.jsonName in entry))
      .map((field) => field.jsonName);
    return { agent, body, declaredPaths };
  });
}
