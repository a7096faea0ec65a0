import { create, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { fieldRows } from "../console/src/field-rows.js";
import { ConversationProfileSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { ConversationSchema, Conversation_LifecycleState } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";

const rowsOf = <T extends Parameters<typeof fieldRows>[0]>(schema: T, json: ReturnType<typeof toJson>) =>
  fieldRows(schema, json as Parameters<typeof fieldRows>[1]);

describe("the console's field rows", () => {
  it("shows every field of a conversation: set, implicit and unset, timestamps as times", () => {
    const conversation = create(ConversationSchema, {
      name: "projects/p/conversations/c1",
      lifecycleState: Conversation_LifecycleState.IN_PROGRESS,
      phoneNumber: { countryCode: 1, phoneNumber: "+15550100" },
      startTime: timestampFromDate(new Date("2026-01-02T03:04:05Z")),
    });
    const rows = rowsOf(ConversationSchema, toJson(ConversationSchema, conversation, { alwaysEmitImplicit: true }));
    expect(rows).toContainEqual({ path: "name", kind: "text", text: "projects/p/conversations/c1" });
    expect(rows).toContainEqual({ path: "lifecycleState", kind: "text", text: "IN_PROGRESS" });
    expect(rows).toContainEqual({ path: "conversationStage", kind: "text", text: "CONVERSATION_STAGE_UNSPECIFIED" });
    expect(rows).toContainEqual({ path: "conversationProfile", kind: "text", text: "" });
    expect(rows).toContainEqual({ path: "phoneNumber.countryCode", kind: "text", text: "1" });
    expect(rows).toContainEqual({ path: "phoneNumber.phoneNumber", kind: "text", text: "+15550100" });
    expect(rows).toContainEqual({ path: "startTime", kind: "time", iso: "2026-01-02T03:04:05Z" });
    expect(rows).toContainEqual({ path: "endTime", kind: "unset" });
    for (const field of ConversationSchema.fields) {
      expect(rows.some((row) => row.path === field.jsonName || row.path.startsWith(`${field.jsonName}.`))).toBe(true);
    }
  });

  it("descends into nested settings and marks absent ones unset", () => {
    const profile = create(ConversationProfileSchema, { displayName: "Support", automatedAgentConfig: { agent: "projects/p/agent" } });
    const rows = rowsOf(ConversationProfileSchema, toJson(ConversationProfileSchema, profile, { alwaysEmitImplicit: true }));
    expect(rows).toContainEqual({ path: "automatedAgentConfig.agent", kind: "text", text: "projects/p/agent" });
    expect(rows).toContainEqual({ path: "createTime", kind: "unset" });
    const bare = rowsOf(ConversationProfileSchema, toJson(ConversationProfileSchema, create(ConversationProfileSchema), { alwaysEmitImplicit: true }));
    expect(bare).toContainEqual({ path: "automatedAgentConfig", kind: "unset" });
  });
});
