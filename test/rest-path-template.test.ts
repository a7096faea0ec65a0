import { describe, expect, it } from "vitest";
import { compilePathTemplate } from "../src/rest/path-template.js";

describe("compilePathTemplate", () => {
  it("captures a variable made of single segments", () => {
    const template = compilePathTemplate("/v2/{parent=projects/*/locations/*}/conversations");
    expect(template.match("/v2/projects/p/locations/l/conversations")).toEqual(new Map([["parent", "projects/p/locations/l"]]));
    expect(template.match("/v2/projects/p/conversations")).toBeUndefined();
    expect(template.match("/v2/projects/p/locations/l/x/conversations")).toBeUndefined();
    expect(template.match("/v2/projects/p/locations/l/conversations/extra")).toBeUndefined();
  });

  it("matches a custom verb after the variable", () => {
    const template = compilePathTemplate("/v2/{name=projects/*/conversations/*}:complete");
    expect(template.match("/v2/projects/p/conversations/c1:complete")).toEqual(new Map([["name", "projects/p/conversations/c1"]]));
    expect(template.match("/v2/projects/p/conversations/c1")).toBeUndefined();
    expect(template.match("/v2/projects/p/conversations/c1:cancel")).toBeUndefined();
  });

  it("keeps a single-segment match from swallowing the verb", () => {
    const template = compilePathTemplate("/v2/{name=projects/*/conversations/*}");
    expect(template.match("/v2/projects/p/conversations/c1:complete")).toBeUndefined();
  });

  it("reads nested field paths and leaves values percent-encoded, even malformed escapes", () => {
    const template = compilePathTemplate("/v2/{conversation_profile.name=projects/*/conversationProfiles/*}");
    expect(template.match("/v2/projects/example.com%3Ap/conversationProfiles/%ZZ")).toEqual(
      new Map([["conversation_profile.name", "projects/example.com%3Ap/conversationProfiles/%ZZ"]]),
    );
  });

  it("treats ** as any number of segments and a bare {var} as one segment", () => {
    expect(compilePathTemplate("/v1/{name=files/**}").match("/v1/files/a/b/c")).toEqual(new Map([["name", "files/a/b/c"]]));
    expect(compilePathTemplate("/v1/items/{id}").match("/v1/items/42")).toEqual(new Map([["id", "42"]]));
    expect(compilePathTemplate("/v1/items/{id}").match("/v1/items/4/2")).toBeUndefined();
  });

  it("treats regex characters in literals as literals", () => {
    expect(compilePathTemplate("/v2/a.b/{x=*}").match("/v2/aXb/1")).toBeUndefined();
    expect(compilePathTemplate("/v2/a.b/{x=*}").match("/v2/a.b/1")).toEqual(new Map([["x", "1"]]));
  });
});
