import dialogflow from "@google-cloud/dialogflow";
import { OAuth2Client } from "google-auth-library";
import { grpc } from "google-gax";

// Google's official client, pointed at this service, over gRPC and over its
// REST fallback: it must not be able to tell us from the real API.

export type GoogleClientOptions = ConstructorParameters<typeof dialogflow.v2.ConversationsClient>[0];

export interface GoogleError extends Error {
  code: number;
  statusDetails?: unknown[];
}

export type GoogleClientMode = "gRPC" | "REST fallback";

export const GOOGLE_CLIENT_MODES: Record<GoogleClientMode, (port: number) => GoogleClientOptions> = {
  gRPC: (port) => ({ apiEndpoint: "127.0.0.1", port, sslCreds: grpc.credentials.createInsecure() }),
  "REST fallback": (port) => {
    // The REST transport insists on an auth client; any token does, the service does not check it.
    const authClient = new OAuth2Client();
    authClient.setCredentials({ access_token: "not-checked", expiry_date: Date.now() + 3_600_000 });
    // protocol is read by gax's REST transport but missing from the client's option type.
    return { apiEndpoint: "127.0.0.1", port, fallback: "rest", protocol: "http", authClient } as unknown as GoogleClientOptions;
  },
};

// gRPC reports canonical codes; over REST the same failure is its HTTP status, as with Google's own API.
export const EXPECTED_CODES: Record<GoogleClientMode, Record<"notFound" | "invalidArgument" | "alreadyExists" | "failedPrecondition" | "unimplemented", number>> = {
  gRPC: { notFound: 5, invalidArgument: 3, alreadyExists: 6, failedPrecondition: 9, unimplemented: 12 },
  "REST fallback": { notFound: 404, invalidArgument: 400, alreadyExists: 409, failedPrecondition: 400, unimplemented: 501 },
};

/**
 * The google.rpc details a caller can read: over gRPC gax decodes
 * grpc-status-details-bin into statusDetails; over REST the auth client
 * raises the HTTP error with the JSON error body as its message.
 */
export function detailsOf(error: GoogleError): unknown[] {
  if (error.statusDetails !== undefined) return error.statusDetails;
  const body = JSON.parse(error.message) as { error: { details: unknown[] } };
  return body.error.details;
}

/** The ErrorInfo among the details, as either transport renders it. */
export function errorInfoOf(error: GoogleError): { reason: string; domain: string; metadata: Record<string, string> } | undefined {
  return detailsOf(error).find(
    (detail): detail is { reason: string; domain: string; metadata: Record<string, string> } =>
      typeof detail === "object" && detail !== null && "reason" in detail && "domain" in detail,
  );
}

export async function googleFailureOf(call: Promise<unknown>): Promise<GoogleError> {
  try {
    await call;
  } catch (error) {
    return error as GoogleError;
  }
  throw new Error("expected the call to fail");
}

export interface GoogleClients {
  readonly conversations: InstanceType<typeof dialogflow.v2.ConversationsClient>;
  readonly profiles: InstanceType<typeof dialogflow.v2.ConversationProfilesClient>;
  readonly participants: InstanceType<typeof dialogflow.v2.ParticipantsClient>;
  close(): Promise<void>;
}

export function createGoogleClients(mode: GoogleClientMode, port: number): GoogleClients {
  const options = GOOGLE_CLIENT_MODES[mode](port);
  const conversations = new dialogflow.v2.ConversationsClient(options);
  const profiles = new dialogflow.v2.ConversationProfilesClient(options);
  const participants = new dialogflow.v2.ParticipantsClient(options);
  return {
    conversations,
    profiles,
    participants,
    async close() {
      await conversations.close();
      await profiles.close();
      await participants.close();
    },
  };
}
