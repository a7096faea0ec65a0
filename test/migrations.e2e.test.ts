import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../src/store/migrate.js";
import { createConversationStore } from "../src/store/conversations.js";
import { PreconditionError } from "../src/domain/errors.js";
import { createProfileStore } from "../src/store/profiles.js";
import { createTestDatabase, type TestDatabase } from "./support/test-database.js";

// Data written under an older schema reads the same after the newer migrations run.

const MIGRATIONS = new URL("../src/store/migrations/", import.meta.url);

/** Applies the named migrations by hand, as an older release would have, and records them. */
async function applyOnly(testDatabase: TestDatabase, files: readonly string[]): Promise<void> {
  await testDatabase.database.transaction(async (tx) => {
    await tx.exec("CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    for (const file of files) {
      await tx.exec(await readFile(new URL(file, MIGRATIONS), "utf8"));
      await tx.query({ text: "INSERT INTO schema_migrations (version) VALUES ($1)" }, [file]);
    }
  });
}

describe("migrations over existing data", () => {
  let testDatabase: TestDatabase;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    await applyOnly(testDatabase, ["001_conversations.sql", "002_lifecycle_and_telephony.sql", "003_profile_delete.sql"]);
    await testDatabase.database.query({
      text: `INSERT INTO conversation_profiles (project, location, id, display_name, agent, language_code, time_zone, create_time, update_time) VALUES
  ('old', 'global', 'with-agent', 'Agent', 'projects/old/agent', 'en-US', 'Europe/Paris', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'),
  ('old', 'global', 'bare', 'Bare', '', '', '', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
  ('old', '', 'project-level', 'Short form', 'projects/old/agent', '', '', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
    });
    await testDatabase.database.query({
      text: `INSERT INTO conversations (project, location, id, conversation_profile, conversation_stage, start_time) VALUES
  ('old', '', 'short-running', 'projects/old/conversationProfiles/project-level', 1, now())`,
    });
    await migrate(testDatabase.database);
  });
  afterAll(async () => {
    await testDatabase.dispose();
  });

  it("keeps every field of profiles stored before profiles were kept whole", async () => {
    const store = createProfileStore(testDatabase.database, { ttlSeconds: 86_400 });
    const withAgent = await store.get({ project: "old", location: "global", id: "with-agent" });
    expect(withAgent).toMatchObject({
      displayName: "Agent",
      automatedAgentConfig: { agent: "projects/old/agent" },
      languageCode: "en-US",
      timeZone: "Europe/Paris",
    });
    expect(withAgent.updateTime?.seconds).toBe(BigInt(Date.parse("2026-01-02T00:00:00Z") / 1000));
    const bare = await store.get({ project: "old", location: "global", id: "bare" });
    expect(bare).toMatchObject({ displayName: "Bare", languageCode: "", timeZone: "" });
    expect(bare.automatedAgentConfig).toBeUndefined();
  });

  it("moves project-level rows to the global location, readable under both forms", async () => {
    const profiles = createProfileStore(testDatabase.database, { ttlSeconds: 86_400 });
    const conversations = createConversationStore(testDatabase.database, { ttlSeconds: 86_400, purgeAfterSeconds: 86_400 });
    const short = await profiles.get({ project: "old", location: "", id: "project-level" });
    expect(short.name).toBe("projects/old/conversationProfiles/project-level");
    const located = await profiles.get({ project: "old", location: "global", id: "project-level" });
    expect(located.name).toBe("projects/old/locations/global/conversationProfiles/project-level");
    const conversation = await conversations.get({ project: "old", location: "global", id: "short-running" });
    expect(conversation.conversationProfile).toBe("projects/old/conversationProfiles/project-level");
    // Older conversations get the profile as it is at migration time.
    expect(conversation.initialConversationProfile).toMatchObject({ name: conversation.conversationProfile, displayName: "Short form" });
    // The running conversation still holds its profile, whichever spelling the delete uses.
    await expect(profiles.delete({ project: "old", location: "global", id: "project-level" })).rejects.toBeInstanceOf(PreconditionError);
  });
});
