import { describe, expect, it } from "vitest";
import { decodePercentEncoding, parseRequestTarget } from "../src/http-primitives/request-target.js";

describe("parseRequestTarget", () => {
  it("reads origin-form as written, even a path the URL parser would take for an authority", () => {
    expect(parseRequestTarget("/v2/projects/p?pageSize=5", "localhost:8080")).toEqual({ path: "/v2/projects/p", search: "?pageSize=5" });
    for (const target of ["//[", "//%", "//a:b", "//a:99999", "/%ZZ", "/\u0000"]) {
      expect(parseRequestTarget(target, "localhost")).toEqual({ path: target, search: "" });
    }
  });

  it("reads absolute-form by its path and query", () => {
    expect(parseRequestTarget("http://x/healthz?a=1", "x")).toEqual({ path: "/healthz", search: "?a=1" });
    expect(parseRequestTarget("https://[::1]:8443/v2/projects/p", undefined)).toEqual({ path: "/v2/projects/p", search: "" });
  });

  it("calls malformed what is neither a path nor an http(s) URL, quoting it", () => {
    expect(parseRequestTarget("http://[::1", "x").malformed).toBe('the request target "http://[::1" is neither a path nor an http(s) URL');
    for (const target of ["foo", "ftp://x/", "x:", "", undefined]) expect(parseRequestTarget(target, "x").malformed).toBeDefined();
    expect(parseRequestTarget(`http://[${"a".repeat(10_000)}`, "x").malformed?.length).toBeLessThan(300);
  });

  it("calls malformed an authority that is not host[:port]", () => {
    for (const authority of ["[", "", "a:99999", "a:b", "%", "a/b", "a@b", "a b"]) {
      expect(parseRequestTarget("/healthz", authority).malformed, authority).toMatch(/^the authority \(Host\) ".*" is not a host and port$/);
    }
    for (const authority of ["localhost", "127.0.0.1:8080", "[::1]:8080", "dialogflow.example.com", undefined]) {
      expect(parseRequestTarget("/healthz", authority).malformed, authority).toBeUndefined();
    }
  });
});

describe("decodePercentEncoding", () => {
  it("decodes escapes of UTF-8 and answers undefined for malformed ones", () => {
    expect(decodePercentEncoding("example.com%3Ap")).toBe("example.com:p");
    expect(decodePercentEncoding("caf%C3%A9")).toBe("café");
    for (const text of ["%", "%Z", "%ZZ", "a%2", "%FF%FE", "%C0%AF"]) expect(decodePercentEncoding(text), text).toBeUndefined();
  });
});
