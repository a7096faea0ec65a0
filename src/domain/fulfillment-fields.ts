import type { Fulfillment } from "../gen/google/cloud/dialogflow/v2/fulfillment_pb.js";
import { InvalidFieldError } from "./errors.js";

// What a Fulfillment must satisfy to be stored: a webhook that could be
// called at all. Which hosts it may reach is decided at call time (the
// WEBHOOK_ALLOWED_HOSTS setting can change between the two).

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_URI_LENGTH = 2048;

/** Checks the fields `isWritten` says the update writes (by proto path). */
export function checkFulfillmentFields(fulfillment: Fulfillment, isWritten: (protoPath: string) => boolean): void {
  if (fulfillment.fulfillment.case !== "genericWebService") return;
  const service = fulfillment.fulfillment.value;
  if (isWritten("generic_web_service.uri")) checkWebhookUri(service.uri, "fulfillment.generic_web_service.uri");
  if (isWritten("generic_web_service.request_headers")) {
    for (const [name, value] of Object.entries(service.requestHeaders)) {
      const field = `fulfillment.generic_web_service.request_headers[${JSON.stringify(name.slice(0, 40))}]`;
      if (!HEADER_NAME.test(name)) throw new InvalidFieldError(field, "is not a valid HTTP header name", "INVALID_WEBHOOK_HEADER");
      if (!HEADER_VALUE.test(value)) throw new InvalidFieldError(field, "has a value with control characters, which HTTP headers cannot carry", "INVALID_WEBHOOK_HEADER");
    }
  }
}

/** An absolute http(s) URL without user info (credentials go in username and password). */
export function checkWebhookUri(uri: string, field: string): URL {
  if (uri === "") throw new InvalidFieldError(field, "is required with generic_web_service", "WEBHOOK_URI_MISSING");
  const shown = uri.length <= 80 ? uri : `${uri.slice(0, 77)}...`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new InvalidFieldError(field, `"${shown}" is not an absolute URL such as https://hooks.example.com/dialogflow`, "INVALID_WEBHOOK_URI");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new InvalidFieldError(field, `"${shown}" must be an https:// (or http://) URL`, "INVALID_WEBHOOK_URI");
  }
  if (url.username !== "" || url.password !== "") {
    throw new InvalidFieldError(field, "must not carry credentials; set generic_web_service.username and password instead", "INVALID_WEBHOOK_URI");
  }
  if (uri.length > MAX_URI_LENGTH) throw new InvalidFieldError(field, `must be at most ${MAX_URI_LENGTH} characters`, "INVALID_WEBHOOK_URI");
  return url;
}
