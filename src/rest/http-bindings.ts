import { getOption, hasOption, type DescMethodUnary, type DescService } from "@bufbuild/protobuf";
import { http } from "../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../gen/google/api/http_pb.js";
import { compilePathTemplate, type PathTemplate } from "./path-template.js";

/** One REST route of one RPC, read from its google.api.http rule. */
export interface HttpBinding {
  readonly method: DescMethodUnary;
  /** Upper-case HTTP method. */
  readonly verb: string;
  readonly path: PathTemplate;
  /** "" (no body), "*" (the whole request) or the name of the request field the body fills. */
  readonly body: string;
}

/** Every binding, additional bindings included, of the unary methods of the given services. */
export function readHttpBindings(services: readonly DescService[]): HttpBinding[] {
  const bindings: HttpBinding[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      if (method.methodKind !== "unary" || !hasOption(method, http)) continue;
      // DescMethod does not narrow on methodKind; the check above is what makes this a unary method.
      const unary = method as DescMethodUnary;
      const rule = getOption(method, http);
      for (const each of [rule, ...rule.additionalBindings]) {
        const binding = toBinding(unary, each);
        if (binding !== undefined) bindings.push(binding);
      }
    }
  }
  return bindings;
}

/**
 * The method a REST request is aimed at, for its log line and metric: the one
 * its verb and path name, else (a verb the path does not serve, answered 405)
 * the first the path serves, in the proto's order; undefined when no method
 * serves the path.
 */
export function restMethodOf(bindings: readonly HttpBinding[], verb: string, path: string): DescMethodUnary | undefined {
  let first: DescMethodUnary | undefined;
  for (const binding of bindings) {
    if (binding.path.match(path) === undefined) continue;
    if (binding.verb === verb) return binding.method;
    first ??= binding.method;
  }
  return first;
}

function toBinding(method: DescMethodUnary, rule: HttpRule): HttpBinding | undefined {
  const { pattern } = rule;
  if (pattern.case === undefined || pattern.case === "custom") return undefined;
  return { method, verb: pattern.case.toUpperCase(), path: compilePathTemplate(pattern.value), body: rule.body };
}
