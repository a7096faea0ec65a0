import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Conversations, GetConversationRequestSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { Health } from "../src/gen/health/v1/health_pb.js";
import { createServiceRegistry, rpcPathOf } from "../src/rpc/service-registry.js";

describe("the service registry", () => {
  const getConversation = () => ({ name: "found" });
  const registry = createServiceRegistry([
    { service: Conversations, implementation: { getConversation }, rest: true },
    { service: Health, implementation: (services) => ({ check: () => ({ services: services.map((each) => each.typeName) }) }), rest: false },
  ]);

  it("lists every service once, and only the REST ones as REST", () => {
    expect(registry.services).toEqual([Conversations, Health]);
    expect(registry.restServices).toEqual([Conversations]);
  });

  it("finds every method of every service by its RPC path", () => {
    expect(registry.methods.get("/google.cloud.dialogflow.v2.Conversations/GetConversation")).toBe(Conversations.method.getConversation);
    expect(registry.methods.get("/grpc.health.v1.Health/Watch")).toBe(Health.method.watch);
    expect(registry.methods.size).toBe(Conversations.methods.length + Health.methods.length);
    expect(rpcPathOf(Health.method.check)).toBe("/grpc.health.v1.Health/Check");
  });

  it("gives a describing implementation the list of served services", () => {
    const health = registry.served[1]?.implementation as { check(input: unknown, context: unknown): unknown };
    expect(health.check(create(Health.method.check.input), {})).toEqual({
      services: ["google.cloud.dialogflow.v2.Conversations", "grpc.health.v1.Health"],
    });
  });

  it("checks request values before a method runs", () => {
    const conversations = registry.served[0]?.implementation as { getConversation(input: unknown, context: unknown): unknown };
    expect(conversations.getConversation(create(GetConversationRequestSchema, { name: "projects/p/conversations/c" }), {})).toEqual({ name: "found" });
    expect(() => conversations.getConversation(create(GetConversationRequestSchema, { name: "projects/p/conversations/\u0000" }), {})).toThrow();
  });
});
