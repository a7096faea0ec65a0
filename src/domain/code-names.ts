import type { Code } from "@connectrpc/connect";

// gRPC's canonical names, the ones every gRPC tool and Google's docs use: the one spelling of a
// status code in metrics, log lines, REST error bodies and fallback ErrorInfo reasons.
const CANONICAL = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
  "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
];

export function canonicalCodeName(code: Code | 0): string {
  return CANONICAL[code] ?? String(code);
}
