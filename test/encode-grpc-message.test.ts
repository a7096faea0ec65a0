import { describe, expect, it } from "vitest";
import { encodeGrpcMessage } from "../src/rpc/wire-errors.js";

describe("grpc-message encoding", () => {
  it("leaves printable ASCII as written, ':' and '/' included", () => {
    expect(encodeGrpcMessage("The call needs an authorization: Bearer <token> header")).toBe("The call needs an authorization: Bearer <token> header");
    expect(encodeGrpcMessage("projects/p/conversations/c, #1 [x] ?&=+$")).toBe("projects/p/conversations/c, #1 [x] ?&=+$");
  });

  it("percent-encodes '%', control characters and every byte of non-ASCII UTF-8", () => {
    expect(encodeGrpcMessage("100% sure")).toBe("100%25 sure");
    expect(encodeGrpcMessage("line\nbreak\u0000")).toBe("line%0Abreak%00");
    expect(encodeGrpcMessage("café ✓")).toBe("caf%C3%A9 %E2%9C%93");
  });

  it("reads back as written with grpc-js's decodeURI and connect's decodeURIComponent", () => {
    const message = "name projects/p/c: 100% invalid, é\t✓ <x>";
    expect(decodeURI(encodeGrpcMessage(message))).toBe(message);
    expect(decodeURIComponent(encodeGrpcMessage(message))).toBe(message);
  });
});
