import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { withRequestValuesChecked } from "../services/request-values-check.js";

// The one list of what the server serves. Reflection, health, grpc-js,
// connect-node, the Connect fast path, REST, the record of refused calls and
// the HTTP/2 limits all read it, so a service added here is served, described
// and observed on every protocol at once.

/** What builds an implementation that describes the served services themselves (health, reflection). */
export type DescribingImplementation = (services: readonly DescService[]) => object;

export interface ServiceEntry {
  readonly service: DescService;
  /** Method local names to functions, any subset of the service's methods. */
  readonly implementation: object | DescribingImplementation;
  /** Also served as REST/JSON from the service's google.api.http rules. */
  readonly rest: boolean;
}

/** A service and the implementation every protocol calls. */
export interface ServedService {
  readonly service: DescService;
  readonly implementation: object;
}

export interface ServiceRegistry {
  /** Every service, its implementation refusing values that cannot be stored or encoded before a method runs. */
  readonly served: readonly ServedService[];
  readonly services: readonly DescService[];
  /** The services REST transcodes. */
  readonly restServices: readonly DescService[];
  /** Every served method by its RPC path, /package.Service/Method. */
  readonly methods: ReadonlyMap<string, DescMethod>;
}

export function createServiceRegistry(entries: readonly ServiceEntry[]): ServiceRegistry {
  const services = entries.map((entry) => entry.service);
  const served = entries.map(({ service, implementation }) => ({
    service,
    implementation: withRequestValuesChecked(service, typeof implementation === "function" ? (implementation as DescribingImplementation)(services) : implementation),
  }));
  const methods = new Map<string, DescMethod>();
  for (const service of services) {
    for (const method of service.methods) methods.set(rpcPathOf(method), method);
  }
  return { served, services, restServices: entries.filter((entry) => entry.rest).map((entry) => entry.service), methods };
}

/** The path a method is called at on every RPC protocol. */
export function rpcPathOf(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}
