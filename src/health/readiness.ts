import type { Database } from "../store/database.js";

/**
 * Ready means the database answers a trivial query within `timeoutMs`; a
 * database that hangs counts as down rather than making the probe hang.
 */
export function createReadinessProbe(database: Database, timeoutMs: number): () => Promise<boolean> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const answered = database.query({ name: "readiness_probe", text: "SELECT 1" }).then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };
}
