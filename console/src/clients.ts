import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { ConversationProfiles } from "../../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { Conversations } from "../../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { Participants } from "../../src/gen/google/cloud/dialogflow/v2/participant_pb.js";

export interface ConsoleClients {
  readonly conversations: Client<typeof Conversations>;
  readonly profiles: Client<typeof ConversationProfiles>;
  readonly participants: Client<typeof Participants>;
}

/** Asks the person for a token; undefined when they decline. */
export type AskToken = (reason: string) => Promise<string | undefined>;

/** Where the token lasts for the tab; the emulator panel's plain HTTP calls send it too. */
export const TOKEN_KEY = "console.bearerToken";

/**
 * Sends a bearer token once one is known. When the service answers
 * UNAUTHENTICATED, asks for a token (once for all calls waiting at that
 * moment) and tries again; the token lasts as long as the browser tab.
 */
export function bearerTokenInterceptor(askToken: AskToken, storage: Storage = sessionStorage): Interceptor {
  let token = storage.getItem(TOKEN_KEY) ?? undefined;
  let asking: Promise<string | undefined> | undefined;
  return (next) => async (request) => {
    for (;;) {
      const sent = token;
      if (sent !== undefined) request.header.set("authorization", `Bearer ${sent}`);
      try {
        return await next(request);
      } catch (error) {
        const connectError = ConnectError.from(error);
        if (connectError.code !== Code.Unauthenticated) throw error;
        if (token === sent) {
          asking ??= askToken(connectError.rawMessage).finally(() => {
            asking = undefined;
          });
          const answer = await asking;
          if (answer === undefined) throw error;
          token = answer;
          storage.setItem(TOKEN_KEY, answer);
        }
      }
    }
  };
}

/** Connect (binary) to the service that served the page. */
export function createConsoleClients(askToken: AskToken): ConsoleClients {
  const transport = createConnectTransport({
    baseUrl: location.origin,
    useBinaryFormat: true,
    interceptors: [bearerTokenInterceptor(askToken)],
  });
  return {
    conversations: createClient(Conversations, transport),
    profiles: createClient(ConversationProfiles, transport),
    participants: createClient(Participants, transport),
  };
}
