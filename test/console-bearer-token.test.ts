import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { bearerTokenInterceptor } from "../console/src/clients.js";
import { Conversations } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";

// The console's answer to UNAUTHENTICATED, against a router that wants "Bearer right".

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, value),
  };
}

function clientWith(answers: (string | undefined)[], storage = memoryStorage()) {
  const seen: (string | null)[] = [];
  const reasons: string[] = [];
  const transport = createRouterTransport(
    (router) =>
      router.service(Conversations, {
        getConversation(request, context) {
          const authorization = context.requestHeader.get("authorization");
          seen.push(authorization);
          if (authorization !== "Bearer right") throw new ConnectError("a valid token is required", Code.Unauthenticated);
          return { name: request.name };
        },
      }),
    {
      transport: {
        interceptors: [
          bearerTokenInterceptor(async (reason) => {
            reasons.push(reason);
            return answers.shift();
          }, storage),
        ],
      },
    },
  );
  return { client: createClient(Conversations, transport), seen, reasons, storage };
}

describe("the console's bearer token", () => {
  it("sends no token until the service asks, then asks once and sends it on every call", async () => {
    const { client, seen, reasons } = clientWith(["right"]);
    expect((await client.getConversation({ name: "a" })).name).toBe("a");
    expect((await client.getConversation({ name: "b" })).name).toBe("b");
    expect(seen).toEqual([null, "Bearer right", "Bearer right"]);
    expect(reasons).toEqual(["a valid token is required"]);
  });

  it("asks again after a wrong token, and gives up with UNAUTHENTICATED when the person declines", async () => {
    const { client, seen, reasons } = clientWith(["wrong", undefined]);
    await expect(client.getConversation({ name: "a" })).rejects.toMatchObject({ code: Code.Unauthenticated });
    expect(seen).toEqual([null, "Bearer wrong"]);
    expect(reasons).toHaveLength(2);
  });

  it("asks once for calls that fail together", async () => {
    const { client, reasons } = clientWith(["right"]);
    const names = await Promise.all(["a", "b", "c"].map(async (name) => (await client.getConversation({ name })).name));
    expect(names).toEqual(["a", "b", "c"]);
    expect(reasons).toHaveLength(1);
  });

  it("remembers the token for the tab: a new client starts with it", async () => {
    const first = clientWith(["right"]);
    await first.client.getConversation({ name: "a" });
    const second = clientWith([], first.storage);
    await second.client.getConversation({ name: "b" });
    expect(second.seen).toEqual(["Bearer right"]);
    expect(second.reasons).toEqual([]);
  });

  it("passes other errors through without asking", async () => {
    const transport = createRouterTransport(
      (router) =>
        router.service(Conversations, {
          getConversation() {
            throw new ConnectError("no such conversation", Code.NotFound);
          },
        }),
      { transport: { interceptors: [bearerTokenInterceptor(() => Promise.reject(new Error("asked")), memoryStorage())] } },
    );
    await expect(createClient(Conversations, transport).getConversation({ name: "a" })).rejects.toMatchObject({ code: Code.NotFound });
  });
});
