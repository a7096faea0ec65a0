import type { DescMethod } from "@bufbuild/protobuf";

// What a call needs, from its method alone: nothing (health and reflection,
// which load balancers and tools call without credentials), reading, or writing.

export type Access = "open" | "read" | "write";

// Probes and schema discovery: they reveal no project's data.
const OPEN_SERVICES = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);

// AIP-131/132 standard reads (Get, List: ListConversations, ListMessages, ...);
// everything else, custom methods included, changes something.
const READ_METHOD = /^(Get|List)[A-Z]/;

/** Whether a service (by its full name) is called without credentials. */
export function isOpenService(typeName: string): boolean {
  return OPEN_SERVICES.has(typeName);
}

export function accessOf(method: DescMethod): Access {
  if (isOpenService(method.parent.typeName)) return "open";
  return READ_METHOD.test(method.name) ? "read" : "write";
}
