import { existsSync } from "node:fs";

/** A Docker socket or DOCKER_HOST: the tests may then run Postgres in a container. */
export function hasDockerEngine(): boolean {
  return existsSync("/var/run/docker.sock") || process.env.DOCKER_HOST !== undefined;
}
