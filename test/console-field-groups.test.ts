import { create, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { groupFieldRows } from "../console/src/field-groups.js";
import { fieldRows } from "../console/src/field-rows.js";
import { ConversationProfileSchema } from "../src/gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { ConversationSchema, Conversation_LifecycleState } from "../src/gen/google/cloud/dialogflow/v2/conversation_pb.js";

const conversation = create(ConversationSchema, {
  name: "projects/p/conversations/c1",
  lifecycleState: Conversation_LifecycleState.IN_PROGRESS,
  phoneNumber: { countryCode: 1, phoneNumber: "+15550100" },
  startTime: timestampFromDate(new Date("2026-01-02T03:04:05Z")),
  initialConversationProfile: { displayName: "Support", languageCode: "en-US", automatedAgentConfig: { agent: "projects/p/agent" } },
  ingestedContextReferences: { doc: { contextContents: [{ content: "Order 42", contentFormat: 2 }], languageCode: "en-US" } },
});
const rows = fieldRows(ConversationSchema, toJson(ConversationSchema, conversation, { alwaysEmitImplicit: true }) as Parameters<typeof fieldRows>[1]);

describe("the console's field groups", () => {
  it("puts a conversation's own values first, in schema order, and the fields named for the summary with them", () => {
    const { summary } = groupFieldRows(ConversationSchema, rows, { inSummary: ["phoneNumber"] });
    expect(summary.map((row) => row.path)).toEqual([
      "name",
      "lifecycleState",
      "conversationProfile",
      "phoneNumber.countryCode",
      "phoneNumber.phoneNumber",
      "startTime",
      "endTime",
      "conversationStage",
    ]);
  });

  it("gives each nested message and map a group of its own, titled by the label given or from the field name", () => {
    const { groups } = groupFieldRows(ConversationSchema, rows, { inSummary: ["phoneNumber"], labels: { initialConversationProfile: "Profile snapshot" } });
    expect(groups.map((group) => [group.field, group.label, group.isUnset])).toEqual([
      ["telephonyConnectionInfo", "Telephony connection info", true],
      ["initialConversationProfile", "Profile snapshot", false],
      ["ingestedContextReferences", "Ingested context references", false],
      ["initialGeneratorContexts", "Initial generator contexts", true],
    ]);
    const snapshot = groups.find((group) => group.field === "initialConversationProfile");
    expect(snapshot?.rows).toContainEqual({ path: "initialConversationProfile.displayName", kind: "text", text: "Support" });
    expect(snapshot?.rows).toContainEqual({ path: "initialConversationProfile.automatedAgentConfig.agent", kind: "text", text: "projects/p/agent" });
    const references = groups.find((group) => group.field === "ingestedContextReferences");
    expect(references?.rows).toContainEqual({ path: "ingestedContextReferences[doc].contextContents[0].content", kind: "text", text: "Order 42" });
  });

  it("loses no row: summary and groups together are every row once", () => {
    const grouped = groupFieldRows(ConversationSchema, rows);
    const again = [...grouped.summary, ...grouped.groups.flatMap((group) => group.rows)];
    expect(again).toHaveLength(rows.length);
    expect(new Set(again)).toEqual(new Set(rows));
    // Without inSummary, the phone number is a group of its own.
    expect(grouped.groups[0]?.field).toBe("phoneNumber");
  });

  it("keeps a profile's times in the summary and its configs as groups", () => {
    const profile = create(ConversationProfileSchema, { displayName: "Support", createTime: timestampFromDate(new Date("2026-01-02T03:04:05Z")) });
    const profileRows = fieldRows(ConversationProfileSchema, toJson(ConversationProfileSchema, profile, { alwaysEmitImplicit: true }) as Parameters<typeof fieldRows>[1]);
    const { summary, groups } = groupFieldRows(ConversationProfileSchema, profileRows);
    expect(summary).toContainEqual({ path: "createTime", kind: "time", iso: "2026-01-02T03:04:05Z" });
    expect(summary).toContainEqual({ path: "displayName", kind: "text", text: "Support" });
    expect(groups.map((group) => group.field)).toContain("automatedAgentConfig");
    expect(groups.find((group) => group.field === "automatedAgentConfig")?.isUnset).toBe(true);
  });
});
