import { describe, expect, it } from "vitest";
import { Conversations } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { ConversationProfiles } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { readHttpBindings, restMethodOf } from "../src/rest/http-bindings.js";

// Which RPC a REST request is counted against when it is refused before its call.
describe("the method a REST request is aimed at", () => {
  const bindings = readHttpBindings([Conversations, ConversationProfiles]);

  it("is the one its verb and path name, on either name form", () => {
    expect(restMethodOf(bindings, "POST", "/v2/projects/p/conversations")).toBe(Conversations.method.createConversation);
    expect(restMethodOf(bindings, "GET", "/v2/projects/p/locations/l/conversations")).toBe(Conversations.method.listConversations);
    expect(restMethodOf(bindings, "DELETE", "/v2/projects/p/conversationProfiles/x")).toBe(ConversationProfiles.method.deleteConversationProfile);
  });

  it("is the first the path serves, in the proto's order, for a verb the path does not serve", () => {
    expect(restMethodOf(bindings, "PUT", "/v2/projects/p/conversations/c")).toBe(Conversations.method.getConversation);
    expect(restMethodOf(bindings, "PUT", "/v2/projects/p/conversationProfiles/x")).toBe(ConversationProfiles.method.getConversationProfile);
  });

  it("is none for a path no method serves", () => {
    expect(restMethodOf(bindings, "GET", "/v2/projects/p/nothing-here")).toBeUndefined();
    expect(restMethodOf(bindings, "GET", "/v2/")).toBeUndefined();
  });
});
