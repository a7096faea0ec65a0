// Which hosts fulfillment webhooks may reach (WEBHOOK_ALLOWED_HOSTS). Anyone
// who may update a fulfillment chooses the URL the service then POSTs to, so
// on a network this list is what stops an editor token from turning the
// service into a proxy to internal addresses. Hosts are matched by name as
// written in the URL (after URL normalisation), never by what they resolve to.

export type WebhookHostPolicy =
  | { readonly kind: "any" }
  | {
      readonly kind: "list";
      /** localhost, 127.0.0.0/8 and ::1 (also as ::ffff:127.x.y.z). */
      readonly loopback: boolean;
      /** Exact host names or IP literals (IPv6 in brackets), lower case. */
      readonly hosts: readonly string[];
      /** From `*.example.com`: ".example.com", matching any name below it. */
      readonly suffixes: readonly string[];
    };

/** The default: a developer's webhook on the same machine works, nothing else is reachable. */
export const DEFAULT_WEBHOOK_HOSTS = "loopback";

/**
 * Parses a comma-separated list of `*` (any host), `loopback`, `none`, host
 * names, `*.domain` and IP literals; throws an Error saying what is wrong.
 */
export function parseWebhookHostPolicy(value: string): WebhookHostPolicy {
  const entries = value.split(",").map((entry) => entry.trim().toLowerCase()).filter((entry) => entry !== "");
  if (entries.length === 0) throw new Error('must list hosts, or be "loopback", "none" or "*"');
  if (entries.includes("*")) return { kind: "any" };
  const hosts: string[] = [];
  const suffixes: string[] = [];
  let loopback = false;
  for (const entry of entries) {
    if (entry === "none") continue;
    if (entry === "loopback") {
      loopback = true;
      continue;
    }
    const wildcard = entry.startsWith("*.");
    const name = wildcard ? entry.slice(2) : entry;
    const normalised = normaliseHost(name);
    if (normalised === undefined || (wildcard && normalised.startsWith("["))) {
      throw new Error(`"${entry}" is not a host name, *.domain or IP address (no scheme, port or path)`);
    }
    if (wildcard) suffixes.push(`.${normalised}`);
    else hosts.push(normalised);
  }
  return { kind: "list", loopback, hosts, suffixes };
}

/** Whether a webhook may be called at `url`'s host. */
export function isWebhookHostAllowed(policy: WebhookHostPolicy, url: URL): boolean {
  if (policy.kind === "any") return true;
  const host = url.hostname.toLowerCase();
  if (policy.loopback && isLoopback(host)) return true;
  return policy.hosts.includes(host) || policy.suffixes.some((suffix) => host.endsWith(suffix));
}

// 127.0.0.0/8 as the URL parser writes it (it turns 127.1 or 0x7f.1 into dotted decimal).
const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const LOOPBACK_MAPPED_IPV6 = /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/;

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || LOOPBACK_IPV4.test(host) || LOOPBACK_MAPPED_IPV6.test(host);
}

// The host as the URL parser would write it, so an entry matches the URLs that name it.
function normaliseHost(name: string): string | undefined {
  if (name === "" || /[/:@?#\s]/.test(name.replace(/^\[.*\]$/, ""))) return undefined;
  try {
    const url = new URL(`http://${name}/`);
    return url.port === "" && url.pathname === "/" ? url.hostname : undefined;
  } catch {
    return undefined;
  }
}
