import dialogflow from "@google-cloud/dialogflow";
import { Code, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { grpc } from "google-gax";
import { request as httpsRequest } from "node:https";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthorizer } from "../src/auth/authorizer.js";
import { Conversations } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { readTlsFiles } from "../src/http/tls-files.js";
import { TOKENS, writeTokensFile } from "./support/auth-tokens.js";
import { failureOf } from "./support/errors.js";
import { startService } from "./support/service-process.js";
import { createTestDatabase } from "./support/test-database.js";
import { createTestCertificates, type TestCertificates } from "./support/test-certificates.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

// TLS on the one port: ALPN picks HTTP/2 (gRPC, Connect) or HTTP/1.1 (Connect,
// gRPC-Web, REST); clients trust the server through a CA made by the test.

const PARENT = "projects/alpha/locations/global";

/** The gRPC status code a call of Google's client failed with. */
async function googleCodeOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
  } catch (error) {
    return (error as { code: number }).code;
  }
  throw new Error("expected the call to fail");
}

describe("TLS", () => {
  let certificates: TestCertificates;
  let tokens: Awaited<ReturnType<typeof writeTokensFile>>;
  let test: TestServer;
  let profileName: string;

  beforeAll(async () => {
    certificates = await createTestCertificates();
    tokens = await writeTokensFile();
    test = await startTestServer({
      authorizer: await createAuthorizer({ tokensFile: tokens.file }),
      tls: await readTlsFiles(certificates.certFile, certificates.keyFile),
    });
    const profiles = new dialogflow.v2.ConversationProfilesClient(googleOptions(TOKENS.alphaEditor));
    const [profile] = await profiles.createConversationProfile({ parent: PARENT, conversationProfile: { displayName: "Over TLS" } });
    profileName = profile.name ?? "";
    await profiles.close();
  });
  afterAll(async () => {
    expect(test.internalErrors).toEqual([]);
    await test.stop();
    await tokens.dispose();
    await certificates.dispose();
  });

  // Google's client over gRPC with ordinary TLS credentials (a custom CA) and the token as call credentials.
  function googleOptions(token: string | undefined) {
    const channel = grpc.credentials.createSsl(Buffer.from(certificates.ca));
    const sslCreds =
      token === undefined
        ? channel
        : grpc.credentials.combineChannelCredentials(
            channel,
            grpc.credentials.createFromMetadataGenerator((_params, callback) => {
              const metadata = new grpc.Metadata();
              metadata.add("authorization", `Bearer ${token}`);
              callback(null, metadata);
            }),
          );
    return { apiEndpoint: "localhost", port: test.server.port, sslCreds };
  }

  describe("Google's official client over gRPC", () => {
    it("creates, reads and completes a conversation with an editor token", async () => {
      const conversations = new dialogflow.v2.ConversationsClient(googleOptions(TOKENS.alphaEditor));
      try {
        const [created] = await conversations.createConversation({ parent: PARENT, conversation: { conversationProfile: profileName } });
        const [read] = await conversations.getConversation({ name: created.name });
        expect(read.name).toBe(created.name);
        const [completed] = await conversations.completeConversation({ name: created.name });
        expect(completed.lifecycleState).toBe("COMPLETED");
      } finally {
        await conversations.close();
      }
    });

    it("is UNAUTHENTICATED with an unknown token and PERMISSION_DENIED for a reader writing", async () => {
      // (Without call credentials the client itself refuses to call: it looks for Google's default credentials.)
      const anonymous = new dialogflow.v2.ConversationsClient(googleOptions("not-a-token-we-issued"));
      const reader = new dialogflow.v2.ConversationsClient(googleOptions(TOKENS.alphaReader));
      try {
        expect(await googleCodeOf(anonymous.listConversations({ parent: PARENT }))).toBe(16);
        expect(await googleCodeOf(reader.createConversation({ parent: PARENT, conversation: { conversationProfile: profileName } }))).toBe(7);
        const [page] = await reader.listConversations({ parent: PARENT });
        expect(page.length).toBeGreaterThan(0);
      } finally {
        await anonymous.close();
        await reader.close();
      }
    });
  });

  const withToken = (token: string | undefined): Interceptor => (next) => (request) => {
    if (token !== undefined) request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
  const transports: Record<string, (baseUrl: string, token: string | undefined) => Transport> = {
    grpc: (baseUrl, token) => createGrpcTransport({ baseUrl, nodeOptions: { ca: certificates.ca }, interceptors: [withToken(token)] }),
    "connect (h2)": (baseUrl, token) => createConnectTransport({ baseUrl, httpVersion: "2", nodeOptions: { ca: certificates.ca }, interceptors: [withToken(token)] }),
    "connect (http/1.1)": (baseUrl, token) => createConnectTransport({ baseUrl, httpVersion: "1.1", nodeOptions: { ca: certificates.ca }, interceptors: [withToken(token)] }),
    "grpc-web (http/1.1)": (baseUrl, token) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", nodeOptions: { ca: certificates.ca }, interceptors: [withToken(token)] }),
  };

  it.each(Object.keys(transports))("serves %s with a token, and refuses it without one", async (name) => {
    const baseUrl = `https://localhost:${test.server.port}`;
    const client = (token: string | undefined) => createClient(Conversations, (transports[name] ?? (() => { throw new Error(name); }))(baseUrl, token));
    const page = await client(TOKENS.alphaReader).listConversations({ parent: PARENT });
    expect(page.conversations.length).toBeGreaterThan(0);
    expect(Code[(await failureOf(client(undefined).listConversations({ parent: PARENT }))).code]).toBe("Unauthenticated");
  });

  it("serves REST over HTTPS (HTTP/1.1 by ALPN) with Google's statuses", async () => {
    const get = (token: string | undefined) =>
      new Promise<{ status: number; alpn: string | false | null }>((resolve, reject) => {
        const request = httpsRequest(
          { host: "localhost", port: test.server.port, path: `/v2/${PARENT}/conversations`, ca: certificates.ca, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } },
          (response) => {
            // A client that offers no ALPN: the server tells HTTP/1.1 from HTTP/2 by the first bytes.
            const alpn = (response.socket as unknown as { alpnProtocol: string | false | null }).alpnProtocol;
            response.resume();
            response.on("end", () => resolve({ status: response.statusCode ?? 0, alpn }));
          },
        );
        request.on("error", reject);
        request.end();
      });
    expect(await get(TOKENS.alphaReader)).toEqual({ status: 200, alpn: false });
    expect((await get(undefined)).status).toBe(401);
  });

  it("offers h2 and http/1.1 by ALPN, and a certificate the test CA vouches for", async () => {
    const negotiate = (protocols: string[]) =>
      new Promise<string | false>((resolve, reject) => {
        const socket = tlsConnect({ host: "127.0.0.1", port: test.server.port, ca: certificates.ca, ALPNProtocols: protocols, servername: "localhost" }, () => {
          resolve(socket.alpnProtocol ?? false);
          socket.end();
        });
        socket.on("error", reject);
      });
    expect(await negotiate(["h2", "http/1.1"])).toBe("h2");
    expect(await negotiate(["http/1.1"])).toBe("http/1.1");
  });

  it("refuses a client that does not trust the certificate", async () => {
    const untrusting = createClient(Conversations, createConnectTransport({ baseUrl: `https://localhost:${test.server.port}`, httpVersion: "1.1" }));
    const error = await failureOf(untrusting.listConversations({ parent: PARENT }));
    expect(error.message).toMatch(/certificate/i);
  });
});

describe("TLS files", () => {
  it("names the file at fault when the key does not match the certificate or is not PEM", async () => {
    const first = await createTestCertificates();
    const second = await createTestCertificates();
    try {
      await expect(readTlsFiles(first.certFile, second.keyFile)).rejects.toThrow(/^TLS_CERT_FILE .*cert\.pem with TLS_KEY_FILE .*key\.pem: .*mismatch/);
      await expect(readTlsFiles(first.certFile, `${first.dir}/missing.pem`)).rejects.toThrow(/^TLS_KEY_FILE .*missing\.pem: cannot be read \(ENOENT\)/);
      await expect(readTlsFiles(first.caFile.replace("ca.pem", "server.ext"), first.keyFile)).rejects.toThrow(/^TLS_CERT_FILE .*server\.ext with TLS_KEY_FILE/);
    } finally {
      await first.dispose();
      await second.dispose();
    }
  });
});

describe("the service started with TLS_CERT_FILE and TLS_KEY_FILE", () => {
  it("serves HTTPS and says so, and stops with one line when the key does not fit", async () => {
    const certificates = await createTestCertificates();
    const other = await createTestCertificates();
    const testDatabase = await createTestDatabase();
    const database: Record<string, string> = testDatabase.url === undefined ? { DATA_DIR: `${certificates.dir}/data` } : { DATABASE_URL: testDatabase.url };
    try {
      const refused = startService([], { ...database, TLS_CERT_FILE: certificates.certFile, TLS_KEY_FILE: other.keyFile });
      expect(await refused.exited).toBe(2);
      expect(refused.stderr().trim().split("\n")).toEqual([expect.stringMatching(/^TLS: TLS_CERT_FILE .*cert\.pem with TLS_KEY_FILE .*key\.pem: /)]);

      const service = startService([], { PORT: "0", SWEEP_INTERVAL: "0", ...database, TLS_CERT_FILE: certificates.certFile, TLS_KEY_FILE: certificates.keyFile });
      try {
        const port = await service.serving;
        expect(service.lines.find((line) => line.port === port)?.address).toBe(`https://127.0.0.1:${port}`);
        const health = await new Promise<number>((resolve, reject) => {
          httpsRequest({ host: "localhost", port, path: "/healthz", ca: certificates.ca }, (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          })
            .on("error", reject)
            .end();
        });
        expect(health).toBe(200);
      } finally {
        service.child.kill("SIGTERM");
        await service.exited;
      }
    } finally {
      await certificates.dispose();
      await other.dispose();
      await testDatabase.dispose();
    }
  }, 60_000);
});
