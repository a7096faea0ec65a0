import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { Metadata, type StatusObject, type status as Status } from "@grpc/grpc-js";
import { StatusSchema } from "../gen/google/rpc/status_pb.js";
import { toConnectError } from "../services/errors.js";

const DETAILS_KEY = "grpc-status-details-bin";

/**
 * The status grpc-js sends for a failed call: the code, the message as
 * written (grpc-js escapes only what the gRPC spec asks, so clients read
 * `projects/p/...`, not `projects%2Fp%2F...`), the error's metadata, and the
 * google.rpc.Status with its details in grpc-status-details-bin.
 */
export function grpcStatusOf(error: ConnectError, extra?: Metadata): Partial<StatusObject> {
  const metadata = extra ?? new Metadata();
  error.metadata.forEach((value, key) => {
    if (!key.endsWith("-bin")) metadata.add(key, value);
  });
  if (error.details.length > 0) {
    const status = create(StatusSchema, {
      code: error.code,
      message: error.rawMessage,
      details: error.details.map((detail) =>
        "desc" in detail
          ? anyPack(detail.desc, create(detail.desc, detail.value))
          : { typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value },
      ),
    });
    metadata.set(DETAILS_KEY, Buffer.from(toBinary(StatusSchema, status)));
  }
  // connect's Code and gRPC's status numbers are the same.
  return { code: error.code as number as Status, details: error.rawMessage, metadata };
}

/**
 * The status a failed grpc-js call ends with: DEADLINE_EXCEEDED once its
 * deadline (ms since the epoch) has passed and CANCELLED once its client
 * went away, whatever the implementation threw as it gave up; else what it
 * threw, as every protocol maps it.
 */
export function grpcFailure(error: unknown, deadline: number | undefined, cancelled: boolean, onInternalError: (error: unknown) => void): ConnectError {
  if (deadline !== undefined && Date.now() >= deadline) return new ConnectError("The deadline passed before the call completed", Code.DeadlineExceeded);
  if (cancelled) return new ConnectError("The client cancelled the call", Code.Canceled);
  return toConnectError(error, onInternalError);
}
