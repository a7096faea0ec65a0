import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  ExhaustedError,
  InvalidFieldError,
  PreconditionError,
  ResourceExistsError,
  ResourceNotFoundError,
  StoreUnavailableError,
  UnsupportedMethodError,
} from "../src/domain/errors.js";
import { BadRequestSchema, ErrorInfoSchema, ResourceInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";
import { toConnectError, withErrorInfo } from "../src/services/errors.js";

// AIP-193: every status a client can receive carries an ErrorInfo in our
// domain, with a reason telling the failure apart and the dynamic parts in metadata.

const CONVERSATION = "dialogflow.googleapis.com/Conversation";
const PROFILE = "dialogflow.googleapis.com/ConversationProfile";

function infoOf(error: ConnectError) {
  const infos = error.findDetails(ErrorInfoSchema);
  expect(infos).toHaveLength(1);
  expect(infos[0]?.domain).toBe("dialogflow.googleapis.com");
  return infos[0]!;
}

describe("toConnectError", () => {
  const internal: unknown[] = [];
  const map = (error: unknown) => toConnectError(error, (bug) => internal.push(bug));

  it.each([
    [new InvalidFieldError("parent", "is bad", "INVALID_PARENT", { value: "x" }), Code.InvalidArgument, "INVALID_PARENT", { value: "x", field: "parent" }],
    [new ResourceNotFoundError(CONVERSATION, "projects/p/conversations/c"), Code.NotFound, "CONVERSATION_NOT_FOUND", { resource: "projects/p/conversations/c", resourceType: CONVERSATION }],
    [new ResourceNotFoundError(PROFILE, "projects/p/conversationProfiles/c"), Code.NotFound, "CONVERSATION_PROFILE_NOT_FOUND", { resource: "projects/p/conversationProfiles/c", resourceType: PROFILE }],
    [new ResourceExistsError(CONVERSATION, "projects/p/conversations/c"), Code.AlreadyExists, "CONVERSATION_ALREADY_EXISTS", { resource: "projects/p/conversations/c", resourceType: CONVERSATION }],
    [new PreconditionError("PROFILE_IN_USE", "projects/p/conversationProfiles/c", "in use"), Code.FailedPrecondition, "PROFILE_IN_USE", { resource: "projects/p/conversationProfiles/c" }],
    [new ExhaustedError("PHONE_NUMBERS_EXHAUSTED", "none free", "projects/p/conversationProfiles/c"), Code.ResourceExhausted, "PHONE_NUMBERS_EXHAUSTED", { resource: "projects/p/conversationProfiles/c" }],
    [new UnsupportedMethodError("LANGUAGE_MODEL_REQUIRED", "SearchKnowledge", "needs a model"), Code.Unimplemented, "LANGUAGE_MODEL_REQUIRED", { method: "SearchKnowledge" }],
    [new StoreUnavailableError("down"), Code.Unavailable, "DATABASE_UNAVAILABLE", {}],
    [
      new StoreUnavailableError("the database is unavailable: sorry, too many clients already (53300)", {
        cause: Object.assign(new Error("sorry, too many clients already"), { code: "53300" }),
      }),
      Code.Unavailable,
      "DATABASE_UNAVAILABLE",
      { cause: "sorry, too many clients already", code: "53300" },
    ],
  ])("maps %s to its code, reason and metadata", (error, code, reason, metadata) => {
    const mapped = map(error);
    expect(Code[mapped.code]).toBe(Code[code]);
    expect(infoOf(mapped)).toMatchObject({ reason, metadata });
  });

  it("gives INVALID_ARGUMENT a BadRequest violation with the same reason, and NOT_FOUND a ResourceInfo", () => {
    const invalid = map(new InvalidFieldError("page_size", "must not be negative", "PAGE_SIZE_NEGATIVE"));
    expect(invalid.findDetails(BadRequestSchema)[0]?.fieldViolations[0]).toMatchObject({ field: "page_size", reason: "PAGE_SIZE_NEGATIVE" });
    const missing = map(new ResourceNotFoundError(CONVERSATION, "projects/p/conversations/c"));
    expect(missing.findDetails(ResourceInfoSchema)[0]).toMatchObject({ resourceName: "projects/p/conversations/c", resourceType: CONVERSATION });
  });

  it("answers INTERNAL with an ErrorInfo for our own bugs, reporting them, and never says what broke", () => {
    const bug = new TypeError("cannot read properties of undefined");
    const mapped = map(bug);
    expect(Code[mapped.code]).toBe("Internal");
    expect(infoOf(mapped).reason).toBe("INTERNAL_ERROR");
    expect(mapped.rawMessage).not.toContain("undefined");
    expect(internal).toContain(bug);
  });
});

describe("withErrorInfo", () => {
  it.each([
    [Code.DeadlineExceeded, "DEADLINE_EXCEEDED"],
    [Code.Canceled, "CANCELLED"],
    [Code.Unimplemented, "METHOD_NOT_IMPLEMENTED"],
    [Code.InvalidArgument, "INVALID_REQUEST"],
    [Code.PermissionDenied, "PERMISSION_DENIED"],
  ])("adds an ErrorInfo to a bare %s status from the RPC libraries", (code, reason) => {
    expect(infoOf(withErrorInfo(new ConnectError("bare", code))).reason).toBe(reason);
  });

  it("leaves an error that has an ErrorInfo as it is", () => {
    const error = toConnectError(new InvalidFieldError("filter", "bad", "INVALID_FILTER"), () => {});
    expect(withErrorInfo(error).findDetails(ErrorInfoSchema).map((info) => info.reason)).toEqual(["INVALID_FILTER"]);
  });
});
