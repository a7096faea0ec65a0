import type { ServiceImpl } from "@connectrpc/connect";
import { toJson } from "@bufbuild/protobuf";
import { FulfillmentSchema, Fulfillments, type Fulfillment } from "../gen/google/cloud/dialogflow/v2/fulfillment_pb.js";
import { InvalidFieldError } from "../domain/errors.js";
import { stripOutputOnly } from "../domain/field-behavior.js";
import { resolveUpdateMask, touches } from "../domain/field-mask.js";
import { checkFulfillmentFields } from "../domain/fulfillment-fields.js";
import { parseFulfillmentName } from "../domain/names.js";
import type { FulfillmentBody, FulfillmentStore } from "../store/fulfillments.js";

export interface FulfillmentsServiceOptions {
  readonly fulfillments: FulfillmentStore;
}

export function createFulfillmentsService(options: FulfillmentsServiceOptions): ServiceImpl<typeof Fulfillments> {
  const { fulfillments } = options;
  return {
    async getFulfillment(request) {
      return fulfillments.get(parseFulfillmentName(request.name, "name"));
    },

    async updateFulfillment(request) {
      const fulfillment = request.fulfillment;
      if (fulfillment === undefined) throw new InvalidFieldError("fulfillment", "is required", "FULFILLMENT_MISSING");
      const agent = parseFulfillmentName(fulfillment.name, "fulfillment.name");
      const mask = resolveUpdateMask(FulfillmentSchema, request.updateMask?.paths ?? [], { field: "update_mask", identifiers: ["name"] });
      checkFulfillmentFields(fulfillment, (path) => touches(mask, path));
      return fulfillments.update(agent, toBody(fulfillment), mask.jsonPaths);
    },
  };
}

/** What is stored of a fulfillment: every field Google defines, less the name. */
function toBody(fulfillment: Fulfillment): FulfillmentBody {
  const json = toJson(FulfillmentSchema, fulfillment) as FulfillmentBody;
  delete json.name;
  return stripOutputOnly(FulfillmentSchema, json);
}
