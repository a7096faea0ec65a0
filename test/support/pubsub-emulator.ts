import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";

// Google's Pub/Sub emulator (gcloud's component, needs Java), started on a
// free port in a process group of its own: ending gcloud alone leaves its
// java child running, so the whole group is paused, resumed and killed.

/** Why the emulator cannot run here, or undefined when it can. */
export function pubsubEmulatorUnavailable(): string | undefined {
  for (const command of ["gcloud", "java"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    } catch {
      return `${command} is not installed`;
    }
  }
  return undefined;
}

export interface ReceivedMessage {
  readonly data: Buffer;
}

export interface PubSubEmulator {
  /** host:port, as PUBSUB_EMULATOR_HOST takes it. */
  readonly host: string;
  /** Creates `topic` and a subscription `topic-sub` on it (project P, IDs of 3+ characters). */
  createTopicWithSubscription(project: string, topic: string): Promise<void>;
  /** Pulls and acknowledges what the subscription holds now (possibly nothing). */
  pull(project: string, subscription: string): Promise<ReceivedMessage[]>;
  /** SIGSTOP / SIGCONT: Pub/Sub stops answering without closing a connection. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface PubSubEmulatorOptions {
  /** CPUs to pin the emulator to (taskset -c), so a benchmark keeps it off the service's CPU. */
  readonly cpus?: string;
}

export async function startPubSubEmulator(options: PubSubEmulatorOptions = {}): Promise<PubSubEmulator> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const command = ["gcloud", "beta", "emulators", "pubsub", "start", `--host-port=${host}`, "--quiet"];
  // taskset execs gcloud in place: the group is still gcloud's, and java inherits the CPUs.
  const pinned = options.cpus === undefined ? command : ["taskset", "-c", options.cpus, ...command];
  const child = spawn(pinned[0]!, pinned.slice(1), {
    detached: true,
    stdio: "ignore",
  });
  const group = child.pid!;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-group, name);
    } catch {
      // The group is gone already.
    }
  };
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const base = `http://${host}/v1/projects`;
  const call = async (path: string, method: string, body: unknown) => {
    const response = await fetch(`${base}/${path}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!response.ok && response.status !== 409) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answered = await fetch(`http://${host}/`).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      signal("SIGKILL");
      throw new Error("the Pub/Sub emulator did not start");
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    host,
    async createTopicWithSubscription(project, topic) {
      await call(`${project}/topics/${topic}`, "PUT", {});
      await call(`${project}/subscriptions/${topic}-sub`, "PUT", { topic: `projects/${project}/topics/${topic}` });
    },
    async pull(project, subscription) {
      const pulled = await call(`${project}/subscriptions/${subscription}:pull`, "POST", { maxMessages: 1000, returnImmediately: true });
      const received = (pulled.receivedMessages ?? []) as Array<{ ackId: string; message: { data?: string } }>;
      if (received.length > 0) await call(`${project}/subscriptions/${subscription}:acknowledge`, "POST", { ackIds: received.map((r) => r.ackId) });
      return received.map((r) => ({ data: Buffer.from(r.message.data ?? "", "base64") }));
    },
    pause: () => signal("SIGSTOP"),
    resume: () => signal("SIGCONT"),
    async stop() {
      signal("SIGCONT");
      signal("SIGKILL");
      await exited;
    },
  };
}
