import { describe, expect, it } from "vitest";
import { isWebhookHostAllowed, parseWebhookHostPolicy } from "../src/webhook/webhook-hosts.js";

// WEBHOOK_ALLOWED_HOSTS: hosts matched by name as the URL parser writes them.

const allowed = (policy: string, url: string) => isWebhookHostAllowed(parseWebhookHostPolicy(policy), new URL(url));

describe("webhook host policy", () => {
  it("loopback allows localhost, 127.0.0.0/8 and ::1 however they are spelled, and nothing else", () => {
    for (const url of ["http://localhost:3000/h", "http://LOCALHOST/h", "http://127.0.0.1/h", "http://127.1/h", "http://0x7f.1/h", "http://[::1]:8080/h", "http://[::ffff:127.0.0.1]/h"]) {
      expect(allowed("loopback", url), url).toBe(true);
    }
    for (const url of ["http://10.0.0.1/h", "http://169.254.169.254/latest", "http://localtest.me/h", "http://[::2]/h", "http://0.0.0.0/h", "https://hooks.example.com/h", "http://localhost.example.com/h"]) {
      expect(allowed("loopback", url), url).toBe(false);
    }
  });

  it("lists names, *.domain and IP literals; * allows any host; none allows none", () => {
    expect(allowed("hooks.example.com", "https://HOOKS.example.com/x")).toBe(true);
    expect(allowed("hooks.example.com", "https://evil-hooks.example.com/x")).toBe(false);
    expect(allowed("*.example.com", "https://a.b.example.com/x")).toBe(true);
    expect(allowed("*.example.com", "https://example.com/x")).toBe(false);
    expect(allowed("*.example.com", "https://notexample.com/x")).toBe(false);
    expect(allowed("10.0.0.7", "http://10.0.0.7:8080/x")).toBe(true);
    expect(allowed("[2001:db8::1]", "http://[2001:db8:0::1]/x")).toBe(true);
    expect(allowed("hooks.example.com", "http://localhost/x")).toBe(false);
    expect(allowed("*", "http://10.1.2.3/x")).toBe(true);
    expect(allowed("none", "http://localhost/x")).toBe(false);
  });
});
