import dialogflow from "@google-cloud/dialogflow";
import { Code, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthorizer } from "../src/auth/authorizer.js";
import { parseBootstrapFulfillments } from "../src/domain/bootstrap-fulfillments.js";
import { Fulfillments } from "../src/gen/google/cloud/dialogflow/v2/fulfillment_pb.js";
import { TOKENS, writeTokensFile } from "./support/auth-tokens.js";
import { expectInvalidArgument, failureOf } from "./support/errors.js";
import { GOOGLE_CLIENT_MODES, type GoogleClientMode } from "./support/google-client.js";
import { PROTOCOLS, createTransport, startTestServer, type TestServer } from "./support/test-server.js";

// Fulfillments (DESIGN §4.11): an agent's webhook, one per project and location.

const WEBHOOK = {
  uri: "https://hooks.example.com/dialogflow",
  username: "df",
  password: "s3cret",
  requestHeaders: { "x-api-key": "k-1" },
  isCloudFunction: false,
};

describe.each(PROTOCOLS)("Fulfillments over %s", (protocol) => {
  let test: TestServer;
  let client: Client<typeof Fulfillments>;

  beforeAll(async () => {
    test = await startTestServer();
    client = createClient(Fulfillments, createTransport(protocol, test.baseUrl));
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  it("answers the default, empty fulfillment of an agent never configured, under the name asked for", async () => {
    const fulfillment = await client.getFulfillment({ name: "projects/fresh/agent/fulfillment" });
    expect(fulfillment.name).toBe("projects/fresh/agent/fulfillment");
    expect(fulfillment.enabled).toBe(false);
    expect(fulfillment.fulfillment.case).toBeUndefined();
    expect(fulfillment.displayName).toBe("");
  });

  it("keeps every field, and reads the global one under both name forms", async () => {
    const written = await client.updateFulfillment({
      fulfillment: {
        name: "projects/keeper/agent/fulfillment",
        displayName: "Orders webhook",
        enabled: true,
        fulfillment: { case: "genericWebService", value: WEBHOOK },
        features: [{ type: 1 }],
      },
      updateMask: { paths: ["*"] },
    });
    expect(written.name).toBe("projects/keeper/agent/fulfillment");
    expect(written.fulfillment).toEqual({ case: "genericWebService", value: expect.objectContaining(WEBHOOK) });
    expect(written.features.map((feature) => feature.type)).toEqual([1]);
    expect(await client.getFulfillment({ name: "projects/keeper/agent/fulfillment" })).toEqual(written);
    const located = await client.getFulfillment({ name: "projects/keeper/locations/global/agent/fulfillment" });
    expect(located.name).toBe("projects/keeper/locations/global/agent/fulfillment");
    expect({ ...located, name: written.name }).toEqual(written);
    // Another location is another agent.
    expect((await client.getFulfillment({ name: "projects/keeper/locations/europe-west1/agent/fulfillment" })).enabled).toBe(false);
  });

  it("writes only the masked fields, and clears a masked field left out", async () => {
    const name = "projects/masker/locations/us-central1/agent/fulfillment";
    await client.updateFulfillment({
      fulfillment: { name, displayName: "First", enabled: true, fulfillment: { case: "genericWebService", value: WEBHOOK } },
      updateMask: { paths: ["display_name", "enabled", "generic_web_service"] },
    });
    const renamed = await client.updateFulfillment({
      fulfillment: { name, displayName: "Second", enabled: false, fulfillment: { case: "genericWebService", value: { uri: "http://ignored.example.com" } } },
      updateMask: { paths: ["displayName", "generic_web_service.username"] },
    });
    expect(renamed.displayName).toBe("Second");
    expect(renamed.enabled).toBe(true);
    expect(renamed.fulfillment.case === "genericWebService" && renamed.fulfillment.value).toMatchObject({ uri: WEBHOOK.uri, username: "", password: "s3cret" });
    const disabled = await client.updateFulfillment({ fulfillment: { name }, updateMask: { paths: ["enabled"] } });
    expect(disabled.enabled).toBe(false);
    expect(disabled.displayName).toBe("Second");
  });

  it.each([
    ["fulfillment.name", { fulfillment: { name: "projects/x/agents/fulfillment" }, updateMask: { paths: ["enabled"] } }, /not a valid fulfillment name/],
    ["fulfillment", { updateMask: { paths: ["enabled"] } }, /required/],
    ["update_mask", { fulfillment: { name: "projects/x/agent/fulfillment" } }, /required/],
    ["update_mask", { fulfillment: { name: "projects/x/agent/fulfillment" }, updateMask: { paths: ["webhook"] } }, /names no field/],
    [
      "fulfillment.generic_web_service.uri",
      { fulfillment: { name: "projects/x/agent/fulfillment", fulfillment: { case: "genericWebService", value: { uri: "ftp://files.example.com" } } }, updateMask: { paths: ["generic_web_service"] } },
      /https/,
    ],
    [
      "fulfillment.generic_web_service.uri",
      { fulfillment: { name: "projects/x/agent/fulfillment", fulfillment: { case: "genericWebService", value: { uri: "" } } }, updateMask: { paths: ["generic_web_service.uri"] } },
      /required/,
    ],
    [
      'fulfillment.generic_web_service.request_headers["bad header"]',
      { fulfillment: { name: "projects/x/agent/fulfillment", fulfillment: { case: "genericWebService", value: { uri: "https://a.example.com", requestHeaders: { "bad header": "v" } } } }, updateMask: { paths: ["*"] } },
      /header name/,
    ],
  ] as const)("refuses a bad %s with INVALID_ARGUMENT", async (field, request, rule) => {
    await expectInvalidArgument(client.updateFulfillment(request as never), field, rule);
  });

  it("refuses a malformed name on get", async () => {
    await expectInvalidArgument(client.getFulfillment({ name: "projects/x/agent" }), "name", /fulfillment name/);
    await expectInvalidArgument(client.getFulfillment({ name: "" }), "name", /required/);
  });
});

describe("Fulfillments over REST", () => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer();
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  it("patches and gets by Google's http rules, both name forms", async () => {
    const patch = await fetch(`${test.baseUrl}/v2/projects/rest-p/locations/global/agent/fulfillment?updateMask=genericWebService,enabled`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ genericWebService: { uri: "http://127.0.0.1:9/hook", requestHeaders: { a: "b" } }, enabled: true, unknownField: 1 }),
    });
    expect(patch.status).toBe(200);
    expect(await patch.json()).toEqual({
      name: "projects/rest-p/locations/global/agent/fulfillment",
      genericWebService: { uri: "http://127.0.0.1:9/hook", requestHeaders: { a: "b" } },
      enabled: true,
    });
    const get = await fetch(`${test.baseUrl}/v2/projects/rest-p/agent/fulfillment`);
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({ name: "projects/rest-p/agent/fulfillment", enabled: true, genericWebService: { uri: "http://127.0.0.1:9/hook" } });
  });
});

describe.each(Object.keys(GOOGLE_CLIENT_MODES) as GoogleClientMode[])("Google's FulfillmentsClient over %s", (mode) => {
  let test: TestServer;
  let client: InstanceType<typeof dialogflow.v2.FulfillmentsClient>;
  beforeAll(async () => {
    test = await startTestServer();
    client = new dialogflow.v2.FulfillmentsClient(GOOGLE_CLIENT_MODES[mode](test.server.port));
  });
  afterAll(async () => {
    await client.close();
    expect(test.internalErrors).toEqual([]);
    await test.stop();
  });

  it("updates and gets a fulfillment with Google's own client", async () => {
    const name = "projects/google-client/agent/fulfillment";
    const [updated] = await client.updateFulfillment({
      fulfillment: { name, displayName: "Hook", enabled: true, genericWebService: { uri: "https://hooks.example.com/x", username: "u", password: "p" } },
      updateMask: { paths: ["display_name", "enabled", "generic_web_service"] },
    });
    expect(updated).toMatchObject({ name, displayName: "Hook", enabled: true, genericWebService: { uri: "https://hooks.example.com/x", username: "u", password: "p" } });
    const [read] = await client.getFulfillment({ name: "projects/google-client/locations/global/agent/fulfillment" });
    expect(read).toMatchObject({ name: "projects/google-client/locations/global/agent/fulfillment", displayName: "Hook", enabled: true });
  });
});

describe("Fulfillments from the bootstrap file", () => {
  let test: TestServer;
  const file = {
    fulfillments: [
      {
        name: "projects/booted/agent/fulfillment",
        displayName: "From the file",
        enabled: true,
        generic_web_service: { uri: "http://localhost:3000/webhook", requestHeaders: { "x-env": "dev" } },
      },
    ],
  };
  beforeAll(async () => {
    test = await startTestServer({ bootstrapFulfillments: parseBootstrapFulfillments(file) });
  });
  afterAll(async () => {
    await test.stop();
  });

  it("serves the declared fulfillment, and loading the file again changes nothing", async () => {
    const client = createClient(Fulfillments, createTransport("grpc", test.baseUrl));
    const read = await client.getFulfillment({ name: "projects/booted/locations/global/agent/fulfillment" });
    expect(read).toMatchObject({ displayName: "From the file", enabled: true });
    expect(read.fulfillment.case === "genericWebService" && read.fulfillment.value.requestHeaders).toEqual({ "x-env": "dev" });
    const { loadBootstrap } = await import("../src/store/bootstrap.js");
    const before = await test.server.database.query<{ body: unknown }>({ text: "SELECT body FROM fulfillments" });
    await loadBootstrap(test.server.database, [], parseBootstrapFulfillments(file));
    expect(await test.server.database.query({ text: "SELECT body FROM fulfillments" })).toEqual(before);
  });

  it("refuses a bad entry naming its JSON path", () => {
    expect(() => parseBootstrapFulfillments({ fulfillments: [{ name: "projects/p/agent/fulfillment", webhook: "x" }] })).toThrow(/\$\.fulfillments\[0\]/);
    expect(() => parseBootstrapFulfillments({ fulfillments: [{ name: "projects/p/agent" }] })).toThrow(/fulfillment name/);
    expect(() =>
      parseBootstrapFulfillments({ fulfillments: [{ name: "projects/p/agent/fulfillment" }, { name: "projects/p/locations/global/agent/fulfillment" }] }),
    ).toThrow(/second time/);
    expect(() => parseBootstrapFulfillments({ fulfillments: [{ name: "projects/p/agent/fulfillment", genericWebService: { uri: "nope" } }] })).toThrow(
      /\$\.fulfillments\[0\]\.generic_web_service\.uri/,
    );
  });
});

describe("Fulfillments and roles", () => {
  let test: TestServer;
  let tokens: Awaited<ReturnType<typeof writeTokensFile>>;
  beforeAll(async () => {
    tokens = await writeTokensFile();
    test = await startTestServer({ authorizer: await createAuthorizer({ tokensFile: tokens.file }) });
  });
  afterAll(async () => {
    await test.stop();
    await tokens.dispose();
  });
  const clientWith = (token: string) => {
    const withToken: Interceptor = (next) => (request) => {
      request.header.set("authorization", `Bearer ${token}`);
      return next(request);
    };
    return createClient(Fulfillments, createGrpcTransport({ baseUrl: test.baseUrl, interceptors: [withToken] }));
  };
  const update = { fulfillment: { name: "projects/alpha/agent/fulfillment", enabled: true }, updateMask: { paths: ["enabled"] } };

  it("lets readers get and editors update, within their projects", async () => {
    const reader = clientWith(TOKENS.alphaReader);
    expect(Code[(await failureOf(reader.updateFulfillment(update))).code]).toBe("PermissionDenied");
    expect((await reader.getFulfillment({ name: "projects/alpha/agent/fulfillment" })).enabled).toBe(false);
    const editor = clientWith(TOKENS.alphaEditor);
    expect((await editor.updateFulfillment(update)).enabled).toBe(true);
    expect(Code[(await failureOf(editor.getFulfillment({ name: "projects/beta/agent/fulfillment" }))).code]).toBe("PermissionDenied");
    expect(Code[(await failureOf(editor.updateFulfillment({ ...update, fulfillment: { name: "projects/beta/agent/fulfillment" } }))).code]).toBe("PermissionDenied");
  });
});
