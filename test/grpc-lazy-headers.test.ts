import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { headersOf, lazyHeadersOf } from "../src/grpc/grpc-handler-context.js";

function metadata(): Metadata {
  const each = new Metadata();
  each.set("authorization", "Bearer t");
  each.add("x-multi", "a");
  each.add("x-multi", "b");
  each.set("trace-bin", Buffer.from([1, 2, 3]));
  each.set("x-request-id", "r-1");
  return each;
}

describe("a gRPC call's request headers, filled when first read", () => {
  it("reads as the eager conversion does, by every accessor", () => {
    const eager = [...headersOf(metadata())];
    expect([...lazyHeadersOf(metadata())]).toEqual(eager);
    expect([...lazyHeadersOf(metadata()).entries()]).toEqual(eager);
    expect([...lazyHeadersOf(metadata()).keys()]).toEqual(eager.map(([key]) => key));
    expect([...lazyHeadersOf(metadata()).values()]).toEqual(eager.map(([, value]) => value));
    const visited: [string, string][] = [];
    lazyHeadersOf(metadata()).forEach((value, key) => visited.push([key, value]));
    expect(visited).toEqual(eager);
    expect(lazyHeadersOf(metadata()).get("authorization")).toBe("Bearer t");
    expect(lazyHeadersOf(metadata()).get("x-multi")).toBe("a, b");
    expect(lazyHeadersOf(metadata()).get("trace-bin")).toBe(Buffer.from([1, 2, 3]).toString("base64"));
    expect(lazyHeadersOf(metadata()).has("x-request-id")).toBe(true);
    expect(lazyHeadersOf(metadata()).getSetCookie()).toEqual([]);
  });

  it("keeps what was written before the first read, over the metadata", () => {
    const set = lazyHeadersOf(metadata());
    set.set("authorization", "Bearer other");
    expect(set.get("authorization")).toBe("Bearer other");
    const appended = lazyHeadersOf(metadata());
    appended.append("x-multi", "c");
    expect(appended.get("x-multi")).toBe("a, b, c");
    const deleted = lazyHeadersOf(metadata());
    deleted.delete("x-request-id");
    expect(deleted.has("x-request-id")).toBe(false);
    expect(deleted.get("authorization")).toBe("Bearer t");
  });

  it("is a Headers a copy can be made from", () => {
    expect([...new Headers(lazyHeadersOf(metadata()))]).toEqual([...headersOf(metadata())]);
  });
});
