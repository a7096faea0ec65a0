import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { chatTurns, participantLabel, transcriptChange } from "../console/src/transcript.js";
import { MessageSchema, ParticipantSchema, Participant_Role } from "../src/gen/google/cloud/dialogflow/v2/participant_pb.js";

const C = "projects/p/locations/global/conversations/c1";
const message = (id: string, role: Participant_Role, participant: string, content: string, at: string) =>
  create(MessageSchema, {
    name: `${C}/messages/${id}`,
    participant: `${C}/participants/${participant}`,
    participantRole: role,
    content,
    createTime: timestampFromDate(new Date(at)),
  });

describe("the console's transcript", () => {
  it("reads ListMessages' newest-first page oldest first, with who said each turn", () => {
    const newestFirst = [
      message("m3", Participant_Role.AUTOMATED_AGENT, "bot", "It ships today", "2026-01-02T03:04:07Z"),
      message("m2", Participant_Role.HUMAN_AGENT, "agent", "Let me check", "2026-01-02T03:04:06Z"),
      message("m1", Participant_Role.END_USER, "caller", "Where is my order?", "2026-01-02T03:04:05Z"),
    ];
    const turns = chatTurns(newestFirst);
    expect(turns.map((turn) => [turn.role, turn.roleLabel, turn.participantId, turn.text])).toEqual([
      ["END_USER", "End user", "caller", "Where is my order?"],
      ["HUMAN_AGENT", "Human agent", "agent", "Let me check"],
      ["AUTOMATED_AGENT", "Automated agent", "bot", "It ships today"],
    ]);
    expect(turns[0]?.name).toBe(`${C}/messages/m1`);
    expect(turns[0]?.createTime).toEqual(newestFirst[2]?.createTime);
    // The page's own order is kept: it is not re-sorted.
    expect(newestFirst[0]?.name).toBe(`${C}/messages/m3`);
  });

  it("appends new turns to what is shown, and drops those that left the page", () => {
    expect(transcriptChange([], ["a", "b"])).toEqual({ drop: 0, append: ["a", "b"] });
    expect(transcriptChange(["a", "b"], ["a", "b"])).toEqual({ drop: 0, append: [] });
    expect(transcriptChange(["a", "b"], ["a", "b", "c"])).toEqual({ drop: 0, append: ["c"] });
    expect(transcriptChange(["a", "b", "c"], ["b", "c", "d", "e"])).toEqual({ drop: 1, append: ["d", "e"] });
    expect(transcriptChange(["a", "b"], ["c", "d"])).toEqual({ drop: 2, append: ["c", "d"] });
    expect(transcriptChange(["a", "b"], [])).toEqual({ drop: 2, append: [] });
  });

  it("redraws the whole transcript when the order does not line up", () => {
    expect(transcriptChange(["a", "b", "c"], ["a", "c"])).toBe("rebuild");
    expect(transcriptChange(["a", "b"], ["b", "a"])).toBe("rebuild");
    expect(transcriptChange(["a", "b"], ["x", "a", "b"])).toBe("rebuild");
  });

  it("names a participant by role and ID", () => {
    const participant = create(ParticipantSchema, { name: `${C}/participants/caller-1`, role: Participant_Role.END_USER });
    expect(participantLabel(participant)).toBe("End user · caller-1");
  });
});
