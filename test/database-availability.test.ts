import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../src/domain/errors.js";
import type { Database } from "../src/store/database.js";
import { watchAvailability, type AvailabilityChange } from "../src/store/database-availability.js";

// The availability a service logs is decided from its statements' outcomes:
// once per outage and once per recovery, whatever the number of calls.

/** A database whose statements end when the test says, with the outcome it says. */
function scriptedDatabase() {
  const pending: Array<{ answer: () => void; fail: () => void }> = [];
  const database: Database = {
    kind: "postgres",
    statementCount: 0,
    query: <Row>() =>
      new Promise<Row[]>((resolve, reject) => {
        pending.push({ answer: () => resolve([]), fail: () => reject(new StoreUnavailableError("the database is unavailable: gone")) });
      }),
    transaction: () => Promise.reject(new Error("not used")),
    close: async () => {},
  };
  return { database, pending };
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe("watchAvailability", () => {
  it("tells nothing before the first outcome, then once per outage and once per recovery", async () => {
    const { database, pending } = scriptedDatabase();
    const changes: AvailabilityChange[] = [];
    const watched = watchAvailability(database, (change) => changes.push(change));
    const answers = (count: number) => Array.from({ length: count }, () => watched.query({ text: "SELECT 1" }).catch(() => undefined));

    answers(1);
    pending.shift()?.answer();
    await settle();
    expect(changes).toEqual([]);

    answers(5);
    for (const statement of pending.splice(0)) statement.fail();
    await settle();
    expect(changes.map((change) => change.available)).toEqual([false]);

    answers(3);
    for (const statement of pending.splice(0)) statement.answer();
    await settle();
    expect(changes.map((change) => change.available)).toEqual([false, true]);
  });

  it("does not count a statement that started before the last change: its outcome belongs to the change before", async () => {
    const { database, pending } = scriptedDatabase();
    const changes: boolean[] = [];
    const watched = watchAvailability(database, (change) => changes.push(change.available));
    const ask = () => void watched.query({ text: "SELECT 1" }).catch(() => undefined);

    ask();
    pending.shift()?.answer();
    await settle();
    // Two statements on connections that a restart is ending; the first failure is the outage.
    ask();
    ask();
    const [killedFirst, killedLater] = pending.splice(0);
    killedFirst?.fail();
    await settle();
    // A fresh connection answers: the database is back.
    ask();
    pending.shift()?.answer();
    await settle();
    // The other killed statement fails after that: no second outage.
    killedLater?.fail();
    await settle();
    expect(changes).toEqual([false, true]);
  });

  it("is told of a statement's outcome without changing what its caller sees", async () => {
    const { database, pending } = scriptedDatabase();
    const watched = watchAvailability(database, () => {});
    const failed = watched.query({ text: "SELECT 1" });
    pending.shift()?.fail();
    await expect(failed).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
