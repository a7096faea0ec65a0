// RPC paths are /<package>.<Service>/<Method> on every protocol; REST and
// ops paths (/v2/..., /healthz) never have a dot in their first segment.
const RPC_PATH = /^\/([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+)\/([A-Za-z_][\w]*)$/;

/** The service and method an RPC path names, or undefined for any other path. */
export function parseRpcPath(path: string): { readonly service: string; readonly method: string } | undefined {
  const [, service, method] = RPC_PATH.exec(path) ?? [];
  return service === undefined || method === undefined ? undefined : { service, method };
}
