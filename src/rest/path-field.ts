import { invalidArgument } from "../services/errors.js";
import { decodePercentEncoding, quoteTarget } from "../http-primitives/request-target.js";

/** A field's value as the client percent-encoded it in the path; a malformed escape is the client's mistake, INVALID_ARGUMENT naming the field. */
export function decodePathField(field: string, encoded: string): string {
  const value = decodePercentEncoding(encoded);
  if (value !== undefined) return value;
  const quoted = quoteTarget(encoded);
  const rule = `${quoted} in the path is not valid percent-encoding (each % starts an escape such as %3A, and the escaped bytes are UTF-8)`;
  throw invalidArgument(field, rule, "MALFORMED_PERCENT_ENCODING", { value: JSON.parse(quoted) as string });
}
