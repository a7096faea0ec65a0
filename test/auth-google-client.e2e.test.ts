import dialogflow from "@google-cloud/dialogflow";
import { OAuth2Client } from "google-auth-library";
import { grpc } from "google-gax";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthorizer } from "../src/auth/authorizer.js";
import { TOKENS, writeTokensFile } from "./support/auth-tokens.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

// Google's official client with a bearer token: over gRPC as call metadata, over
// its REST transport as the access token of its auth client.

type ClientOptions = ConstructorParameters<typeof dialogflow.v2.ConversationsClient>[0];
type Conversations = InstanceType<typeof dialogflow.v2.ConversationsClient>;

interface GoogleError extends Error {
  code: number;
  details?: string;
}

async function codeOf(call: Promise<unknown>): Promise<number | "OK"> {
  try {
    await call;
    return "OK";
  } catch (error) {
    return (error as GoogleError).code;
  }
}

async function detailsOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return (error as GoogleError).details;
  }
}

// The token rides on each call: gax turns otherArgs.headers into gRPC metadata.
function withToken(token: string | undefined) {
  return token === undefined ? {} : { otherArgs: { headers: { authorization: `Bearer ${token}` } } };
}

describe("@google-cloud/dialogflow with bearer tokens", () => {
  const parent = "projects/alpha/locations/global";
  let test: TestServer;
  let tokens: Awaited<ReturnType<typeof writeTokensFile>>;
  let profileName: string;

  beforeAll(async () => {
    tokens = await writeTokensFile();
    test = await startTestServer({ authorizer: await createAuthorizer({ tokensFile: tokens.file }) });
    const profiles = new dialogflow.v2.ConversationProfilesClient({ apiEndpoint: "127.0.0.1", port: test.server.port, sslCreds: grpc.credentials.createInsecure() });
    const [profile] = await profiles.createConversationProfile({ parent, conversationProfile: { displayName: "Google client" } }, withToken(TOKENS.alphaEditor));
    profileName = profile.name ?? "";
    await profiles.close();
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
    await tokens.dispose();
  });

  describe("over gRPC", () => {
    let conversations: Conversations;
    beforeAll(() => {
      conversations = new dialogflow.v2.ConversationsClient({ apiEndpoint: "127.0.0.1", port: test.server.port, sslCreds: grpc.credentials.createInsecure() });
    });
    afterAll(() => conversations.close());

    it("is UNAUTHENTICATED (16) without a token and with an unknown one", async () => {
      expect(await codeOf(conversations.listConversations({ parent }, withToken(undefined)))).toBe(16);
      // grpc-js reads grpc-message as the gRPC spec encodes it: the text arrives as the service wrote it.
      expect(await detailsOf(conversations.listConversations({ parent }, withToken(undefined)))).toBe("The call needs an authorization: Bearer <token> header");
      expect(await codeOf(conversations.listConversations({ parent }, withToken("nope")))).toBe(16);
    });

    it("is PERMISSION_DENIED (7) for another project and for a reader writing", async () => {
      expect(await codeOf(conversations.listConversations({ parent: "projects/beta" }, withToken(TOKENS.alphaEditor)))).toBe(7);
      expect(await codeOf(conversations.createConversation({ parent, conversation: { conversationProfile: profileName } }, withToken(TOKENS.alphaReader)))).toBe(7);
    });

    it("serves an editor", async () => {
      const [created] = await conversations.createConversation({ parent, conversation: { conversationProfile: profileName } }, withToken(TOKENS.alphaEditor));
      const [completed] = await conversations.completeConversation({ name: created.name }, withToken(TOKENS.alphaEditor));
      expect(completed.lifecycleState).toBe("COMPLETED");
    });
  });

  describe("over its REST transport", () => {
    const restClient = (token: string) => {
      const authClient = new OAuth2Client();
      authClient.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
      // protocol is read by gax's REST transport but missing from the client's option type.
      return new dialogflow.v2.ConversationsClient({ apiEndpoint: "127.0.0.1", port: test.server.port, fallback: "rest", protocol: "http", authClient } as unknown as ClientOptions);
    };

    it("answers 401 for an unknown token, 403 for a reader writing, and serves an editor", async () => {
      expect(await codeOf(restClient("nope").listConversations({ parent }))).toBe(401);
      expect(await codeOf(restClient(TOKENS.alphaReader).createConversation({ parent, conversation: { conversationProfile: profileName } }))).toBe(403);
      expect(await codeOf(restClient(TOKENS.alphaReader).listConversations({ parent }))).toBe("OK");
      expect(await codeOf(restClient(TOKENS.alphaEditor).createConversation({ parent, conversation: { conversationProfile: profileName } }))).toBe("OK");
    });
  });
});
