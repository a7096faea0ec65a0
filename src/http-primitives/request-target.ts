// A request's target (RFC 9112 §3.2: its path and query, and the authority
// from Host or :authority), read from the client's bytes without throwing.
// Routes read the path from here rather than handing request.url to the URL
// parser, which takes "//[" for an authority and throws on it.

/** What a request asks for. */
export interface RequestTarget {
  readonly malformed?: undefined;
  /** The path, still percent-encoded, without its query. */
  readonly path: string;
  /** The query as sent, with its "?", or "" when there is none. */
  readonly search: string;
}

/** A request target no route can serve. */
export interface MalformedTarget {
  /** What is wrong, quoting the part at fault. */
  readonly malformed: string;
}

// What may stand in Host or :authority: host[:port], no userinfo, path or query.
const AUTHORITY = /^[^/?#@\\]+$/;

/**
 * Origin-form ("/path?query") as written, even "//a:b"; absolute-form
 * ("http://host/path") by its path; anything else, or an authority that is
 * not host[:port], is malformed.
 */
export function parseRequestTarget(url: string | undefined, authority: string | undefined): RequestTarget | MalformedTarget {
  if (authority !== undefined && !(AUTHORITY.test(authority) && URL.canParse(`http://${authority}`))) {
    return { malformed: `the authority (Host) ${quoteTarget(authority)} is not a host and port` };
  }
  if (url === undefined || url === "") return { malformed: "the request has no target" };
  if (url.startsWith("/")) {
    const query = url.indexOf("?");
    return query === -1 ? { path: url, search: "" } : { path: url.slice(0, query), search: url.slice(query) };
  }
  if (url === "*") return { path: url, search: "" };
  // Absolute-form, which HTTP/1.1 servers must accept (clients send it to proxies).
  const absolute = URL.canParse(url) ? new URL(url) : undefined;
  if (absolute === undefined || (absolute.protocol !== "http:" && absolute.protocol !== "https:")) {
    return { malformed: `the request target ${quoteTarget(url)} is neither a path nor an http(s) URL` };
  }
  return { path: absolute.pathname, search: absolute.search };
}

// Enough of a target to recognise it; a client may send 100 kB of one.
const QUOTED_CHARACTERS = 200;

/** A target or part of one, quoted for a message and cut short when long. */
export function quoteTarget(text: string): string {
  return JSON.stringify(text.length > QUOTED_CHARACTERS ? `${text.slice(0, QUOTED_CHARACTERS)}…` : text);
}

/** The text a percent-encoded path segment stands for; undefined when an escape is malformed or the bytes are not UTF-8. */
export function decodePercentEncoding(text: string): string | undefined {
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
