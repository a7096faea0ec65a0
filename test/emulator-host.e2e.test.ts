import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type dialogflow from "@google-cloud/dialogflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/test-server.js";

type Clients = {
  conversations: InstanceType<typeof dialogflow.v2.ConversationsClient>;
  profiles: InstanceType<typeof dialogflow.v2.ConversationProfilesClient>;
  options: Record<string, unknown>;
};

/** The README's Node snippet, run as written with DIALOGFLOW_EMULATOR_HOST set to `host` (or unset). */
async function runReadmeSnippet(host: string | undefined): Promise<Clients> {
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const code = /<!-- emulator-snippet:node -->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (code === undefined) throw new Error("README.md has no Node emulator snippet");
  const env: Record<string, string> = host === undefined ? {} : { DIALOGFLOW_EMULATOR_HOST: host };
  const run = new Function("require", "process", `${code}\nreturn { conversations, profiles, options: emulator() };`) as (
    require: NodeJS.Require,
    process: { env: Record<string, string> },
  ) => Clients;
  return run(createRequire(import.meta.url), { env });
}

describe("DIALOGFLOW_EMULATOR_HOST, the README's Node line", () => {
  let test: TestServer;
  let clients: Clients;

  beforeAll(async () => {
    test = await startTestServer();
    clients = await runReadmeSnippet(`127.0.0.1:${test.server.port}`);
  });
  afterAll(async () => {
    await clients.conversations.close();
    await clients.profiles.close();
    await test.stop();
  });

  it("points Google's client at the service", async () => {
    const parent = "projects/emulator-host/locations/global";
    const [profile] = await clients.profiles.createConversationProfile({ parent, conversationProfile: { displayName: "Emulated" } });
    const [created] = await clients.conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
    const [read] = await clients.conversations.getConversation({ name: created.name });
    expect(read.conversationProfile).toBe(profile.name);
  });

  it("leaves the client's defaults (Google) when the variable is unset", async () => {
    const unset = await runReadmeSnippet(undefined);
    expect(unset.options).toEqual({});
    await unset.conversations.close();
    await unset.profiles.close();
  });
});
