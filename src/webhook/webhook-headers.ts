import type { Fulfillment_GenericWebService } from "../gen/google/cloud/dialogflow/v2/fulfillment_pb.js";

// The headers of a webhook call: the fulfillment's request_headers, then the
// request's query_params.webhook_headers over them (Google: they win on a
// conflict, names compared case-insensitively), then Basic auth from
// username/password. Headers that belong to the transport, which Google does
// not let either source set, are dropped.

const RESERVED = new Set([
  "host",
  "content-length",
  "content-type",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "expect",
  "from",
  "user-agent",
  "accept-encoding",
  "if-modified-since",
  "if-none-match",
  "x-forwarded-for",
  "proxy-authorization",
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function webhookHeaders(webhook: Fulfillment_GenericWebService, requestHeaders: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const source of [webhook.requestHeaders, requestHeaders]) {
    for (const [name, value] of Object.entries(source)) {
      const key = name.toLowerCase();
      if (RESERVED.has(key) || !HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) continue;
      headers[key] = value;
    }
  }
  if (webhook.username !== "" || webhook.password !== "") {
    headers.authorization = `Basic ${Buffer.from(`${webhook.username}:${webhook.password}`, "utf8").toString("base64")}`;
  }
  headers["content-type"] = "application/json; charset=utf-8";
  return headers;
}
