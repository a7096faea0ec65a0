// google.api.http path templates ("/v2/{name=projects/*/conversations/*}:complete")
// compiled to matchers. Pure: the REST router is built from these at start-up.

export interface PathTemplate {
  /** The template as written in the proto. */
  readonly source: string;
  /** Returns the variables (field path -> value, still percent-encoded) when the path matches, else undefined. */
  match(path: string): Map<string, string> | undefined;
}

const VARIABLE = /\{([a-z_][a-z0-9_.]*)(?:=([^}]*))?\}/g;

export function compilePathTemplate(source: string): PathTemplate {
  const fields: string[] = [];
  let pattern = "";
  let last = 0;
  for (const match of source.matchAll(VARIABLE)) {
    pattern += escapeLiteral(source.slice(last, match.index));
    fields.push(match[1] ?? "");
    pattern += `(${segmentsPattern(match[2] ?? "*")})`;
    last = (match.index ?? 0) + match[0].length;
  }
  pattern += escapeLiteral(source.slice(last));
  const regex = new RegExp(`^${pattern}$`);

  return {
    source,
    match(path) {
      const found = regex.exec(path);
      if (found === null) return undefined;
      const variables = new Map<string, string>();
      // Decoded by the caller, which can answer a malformed escape as the client's mistake.
      fields.forEach((field, index) => variables.set(field, found[index + 1] ?? ""));
      return variables;
    },
  };
}

// "*" is one path segment, "**" any number of them; literals match themselves.
function segmentsPattern(segments: string): string {
  return segments
    .split("/")
    .map((segment) => (segment === "**" ? ".+" : segment === "*" ? "[^/:]+" : escapeLiteral(segment)))
    .join("/");
}

function escapeLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
