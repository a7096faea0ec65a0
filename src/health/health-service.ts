import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/health/v1/health_pb.js";

export interface HealthServiceOptions {
  /** The services to report on; "" stands for the whole server. */
  readonly serviceNames: readonly string[];
  /** Whether the server can do its work now (the database answers). */
  readonly isReady: () => Promise<boolean>;
  /** How often Watch re-checks readiness. */
  readonly watchIntervalMs?: number;
}

/** grpc.health.v1: every served service shares the server's readiness. */
export function createHealthService(options: HealthServiceOptions): ServiceImpl<typeof Health> {
  const known = new Set(["", ...options.serviceNames]);
  const statusOf = async (service: string): Promise<Status> => {
    if (!known.has(service)) return Status.SERVICE_UNKNOWN;
    return (await options.isReady()) ? Status.SERVING : Status.NOT_SERVING;
  };

  return {
    async check(request) {
      if (!known.has(request.service)) throw new ConnectError(`unknown service ${request.service}`, Code.NotFound);
      return { status: await statusOf(request.service) };
    },

    async list() {
      const ready = await options.isReady();
      const statuses = Object.fromEntries(
        [...known].filter((name) => name !== "").map((name) => [name, { status: ready ? Status.SERVING : Status.NOT_SERVING }]),
      );
      return { statuses };
    },

    // Sends the status now and again whenever it changes, until the client goes away.
    async *watch(request, context) {
      let last: Status | undefined;
      while (!context.signal.aborted) {
        const status = await statusOf(request.service);
        if (status !== last) {
          last = status;
          yield { status };
        }
        await sleep(options.watchIntervalMs ?? 1000, context.signal);
      }
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener("abort", wake);
  });
}
