import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { BadRequestSchema, ErrorInfoSchema, ResourceInfoSchema } from "../../src/gen/google/rpc/error_details_pb.js";

/** Awaits a call expected to fail and returns its error as a ConnectError. */
export async function failureOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Asserts INVALID_ARGUMENT with a BadRequest violation on `field` whose description matches `rule`. */
export async function expectInvalidArgument(call: Promise<unknown>, field: string, rule: RegExp): Promise<ConnectError> {
  const error = await failureOf(call);
  expect(Code[error.code]).toBe(Code[Code.InvalidArgument]);
  const [badRequest] = error.findDetails(BadRequestSchema);
  expect(badRequest?.fieldViolations.map((violation) => violation.field)).toEqual([field]);
  expect(badRequest?.fieldViolations[0]?.description).toMatch(rule);
  expect(error.rawMessage).toContain(field);
  expect(error.findDetails(ErrorInfoSchema)[0]?.domain).toBe("dialogflow.googleapis.com");
  return error;
}

/** Asserts `code` with a ResourceInfo naming `resourceName`. */
export async function expectResourceError(call: Promise<unknown>, code: Code, resourceName: string): Promise<ConnectError> {
  const error = await failureOf(call);
  expect(Code[error.code]).toBe(Code[code]);
  const [info] = error.findDetails(ResourceInfoSchema);
  expect(info?.resourceName).toBe(resourceName);
  expect(error.findDetails(ErrorInfoSchema)[0]?.domain).toBe("dialogflow.googleapis.com");
  return error;
}
