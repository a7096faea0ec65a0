import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Server as GrpcServer } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { authInterceptor } from "./auth/auth-interceptor.js";
import { createCallGuard } from "./auth/call-guard.js";
import type { Authorizer } from "./auth/authorizer.js";
import { createCredentialsGate } from "./auth/credentials-gate.js";
import { createDenialReport } from "./auth/denial-report.js";
import { gateMetrics } from "./auth/metrics-gate.js";
import type { BootstrapProfile } from "./domain/bootstrap.js";
import type { BootstrapFulfillment } from "./domain/bootstrap-fulfillments.js";
import { Conversations } from "./gen/google/cloud/dialogflow/v2/conversation_pb.js";
import { ConversationProfiles } from "./gen/google/cloud/dialogflow/v2/conversation_profile_pb.js";
import { Fulfillments } from "./gen/google/cloud/dialogflow/v2/fulfillment_pb.js";
import { Participants } from "./gen/google/cloud/dialogflow/v2/participant_pb.js";
import { ServerReflection as ServerReflectionV1 } from "./gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
import { Health } from "./gen/health/v1/health_pb.js";
import { takeGrpcStreamHandler } from "./grpc/grpc-js-streams.js";
import { registerGrpcService } from "./grpc/grpc-service-adapter.js";
import { createHealthService } from "./health/health-service.js";
import { createReadinessProbe } from "./health/readiness.js";
import { createProjectDataRoute } from "./emulator/project-data-route.js";
import { createResetRoute } from "./emulator/reset-route.js";
import { createConsoleRoute } from "./http/console-route.js";
import { applyCors, type OriginPolicy } from "./http/cors.js";
import { credentialsFirst, grpcCredentialsFirst } from "./http/credentials-first.js";
import { createConnectUnaryFastPath } from "./connect/connect-unary-fast-path.js";
import { restateRefusedRequests } from "./connect/refused-requests.js";
import { requestTarget } from "./http-primitives/http-request.js";
import { chainHttpRoutes, type HttpRoute } from "./http/http-routes.js";
import { listenOnOnePort, type HttpHandler, type OnePortListener } from "./http/one-port-listener.js";
import type { TlsFiles } from "./http/tls-files.js";
import { streamingRequestPaths } from "./limits/http2-timeouts.js";
import { createInFlight } from "./limits/in-flight.js";
import { inFlightInterceptor } from "./limits/in-flight-interceptor.js";
import { DEFAULT_LIMITS, type Limits } from "./limits/limits.js";
import { startSweeper } from "./lifecycle/sweeper.js";
import { startEventRelay } from "./events/event-relay.js";
import { watchOutboxWrites } from "./store/outbox-writes.js";
import { createPubSubPublisher } from "./events/pubsub-publisher.js";
import { createMetrics } from "./observability/metrics.js";
import { createOpsRoute } from "./observability/ops-routes.js";
import { exchangeInterceptor } from "./observability/exchange.js";
import { createHttpExchanges } from "./observability/http-exchanges.js";
import { createRpcRecorder } from "./observability/rpc-recorder.js";
import { createDescriptorIndex } from "./reflection/descriptor-index.js";
import { createReflectionV1AlphaService, createReflectionV1Service } from "./reflection/reflection-service.js";
import { createUnaryCaller } from "./rpc/invoke-unary.js";
import { createServiceRegistry } from "./rpc/service-registry.js";
import { readHttpBindings, restMethodOf } from "./rest/http-bindings.js";
import { createRestRoute, REST_PREFIX } from "./rest/rest-route.js";
import { createConversationProfilesService } from "./services/conversation-profiles.js";
import { createConversationsService } from "./services/conversations.js";
import { createFulfillmentsService } from "./services/fulfillments.js";
import { errorInterceptor } from "./services/errors.js";
import { createParticipantsService } from "./services/participants.js";
import type { VirtualAgent } from "./services/virtual-agent.js";
import { loadBootstrap } from "./store/bootstrap.js";
import { createConversationStore } from "./store/conversations.js";
import type { Database } from "./store/database.js";
import { createFulfillmentStore } from "./store/fulfillments.js";
import { migrate } from "./store/migrate.js";
import { createMessageStore } from "./store/messages.js";
import { createParticipantStore } from "./store/participants.js";
import { createProfileStore } from "./store/profiles.js";
import { readPageTokenSecret } from "./store/settings.js";
import type { SweepCounts } from "./store/sweeps.js";
import { createFulfillmentVirtualAgent } from "./webhook/fulfillment-virtual-agent.js";
import { DEFAULT_WEBHOOK_HOSTS, parseWebhookHostPolicy, type WebhookHostPolicy } from "./webhook/webhook-hosts.js";

export interface ServerOptions {
  readonly database: Database;
  readonly host: string;
  /** 0 picks a free port, which tests use. */
  readonly port: number;
  /** Running conversations complete by themselves this long after they start. */
  readonly conversationTtlSeconds: number;
  /** Completed conversations disappear this long after they end. */
  readonly purgeAfterSeconds: number;
  /** Profiles and telephony numbers to make present before serving (the bootstrap file). */
  readonly bootstrap?: readonly BootstrapProfile[];
  /** Agents' fulfillments to make present before serving (the bootstrap file's `fulfillments`). */
  readonly bootstrapFulfillments?: readonly BootstrapFulfillment[];
  /** Most rows one list call examines before it ends its page early (DEFAULT_LIST_SCAN_ROWS when not given). */
  readonly listScanRows?: number;
  /** Seconds between sweeps that write automatic completions and purge; 0 runs none. */
  readonly sweepIntervalSeconds?: number;
  /** Told after each sweep. */
  readonly onSweep?: (counts: SweepCounts) => void;
  /** Browser origins allowed to call; loopback origins when not given. */
  readonly corsOrigins?: OriginPolicy;
  /** Where the per-RPC log lines go. */
  readonly log: Logger;
  /** Who may call (tokens file, JWT); every call is allowed when not given. */
  readonly authorizer?: Authorizer;
  /** With an authorizer: serve /metrics without a token. */
  readonly publicMetrics?: boolean;
  /** Serve the emulator's reset endpoints (DELETE /emulator/v1/projects...), which erase data. */
  readonly emulatorReset?: boolean;
  /** PEM certificate chain and key: serve TLS (HTTP/2 and HTTP/1.1 by ALPN) instead of cleartext. */
  readonly tls?: TlsFiles;
  /** Told about failures that are our bugs (they reach clients as INTERNAL). */
  readonly onInternalError: (error: unknown) => void;
  /** Hosts the agents' fulfillment webhooks may reach (the virtual agent); loopback only when not given. */
  readonly webhookAllowedHosts?: WebhookHostPolicy;
  /** Bounds on what clients can hold; DEFAULT_LIMITS for any not given. */
  readonly limits?: Partial<Limits>;
  /** Answers END_USER turns in VIRTUAL_AGENT_STAGE; the agent's fulfillment webhook when not given. */
  readonly virtualAgent?: VirtualAgent;
  /** Relay conversation events from the outbox to Pub/Sub; none relayed when not given (they wait in the outbox). */
  readonly events?: EventsOptions;
}

export interface EventsOptions {
  /** False publishes nothing: events wait in the outbox, within its bound. */
  readonly publish: boolean;
  /** host:port of a Pub/Sub emulator; undefined publishes to Google with Google credentials. */
  readonly pubsubEmulatorHost: string | undefined;
  /** Most events kept unpublished; past it the oldest are dropped. */
  readonly outboxMax: number;
  /** How long an event for a missing topic is retried before it is dropped. */
  readonly missingTopicSeconds: number;
  /** How often the outbox bound is enforced and the backlog measured (5 s when not given); tests shorten it. */
  readonly upkeepMs?: number;
  /** How often the relay looks for events it was not woken for: retries falling due, a stopped replica's (1 s when not given). */
  readonly pollMs?: number;
}

export interface Server {
  readonly port: number;
  readonly database: Database;
  /** With TLS: new connections get this certificate and key, open ones keep theirs (see OnePortListener). */
  replaceTlsCertificate(tls: TlsFiles): void;
  close(graceMs?: number): Promise<void>;
}

/** Migrates the database, then serves every protocol on one port. */
export async function startServer(options: ServerOptions): Promise<Server> {
  // Statements that write conversation events wake the relay below.
  const outbox = watchOutboxWrites(options.database);
  const { database } = outbox;
  await migrate(database);
  if (options.bootstrap !== undefined || options.bootstrapFulfillments !== undefined) {
    await loadBootstrap(database, options.bootstrap ?? [], options.bootstrapFulfillments);
  }
  const pageTokenSecret = await readPageTokenSecret(database);
  const lifetime = { ttlSeconds: options.conversationTtlSeconds, purgeAfterSeconds: options.purgeAfterSeconds };
  const messages = createMessageStore(database, lifetime);
  const conversations = createConversationsService({
    conversations: createConversationStore(database, { ...lifetime, listScanRows: options.listScanRows }),
    messages,
    pageTokenSecret,
  });
  const fulfillmentStore = createFulfillmentStore(database);
  const participants = createParticipantsService({
    participants: createParticipantStore(database, lifetime),
    messages,
    pageTokenSecret,
    virtualAgent:
      options.virtualAgent ??
      createFulfillmentVirtualAgent({
        fulfillments: fulfillmentStore,
        allowedHosts: options.webhookAllowedHosts ?? parseWebhookHostPolicy(DEFAULT_WEBHOOK_HOSTS),
        log: options.log,
      }),
  });
  const profiles = createConversationProfilesService({
    profiles: createProfileStore(database, lifetime),
    pageTokenSecret,
  });
  const fulfillments = createFulfillmentsService({ fulfillments: fulfillmentStore });

  const isReady = createReadinessProbe(database, 2000);
  // Each service once, served by connect-node (Connect, gRPC-Web, REST) and grpc-js (gRPC).
  const registry = createServiceRegistry([
    { service: Conversations, implementation: conversations, rest: true },
    { service: ConversationProfiles, implementation: profiles, rest: true },
    { service: Fulfillments, implementation: fulfillments, rest: true },
    { service: Participants, implementation: participants, rest: true },
    { service: Health, implementation: (services) => createHealthService({ serviceNames: services.map((service) => service.typeName), isReady }), rest: false },
    { service: ServerReflectionV1, implementation: (services) => createReflectionV1Service(createDescriptorIndex(services)), rest: false },
    { service: ServerReflectionV1Alpha, implementation: (services) => createReflectionV1AlphaService(createDescriptorIndex(services)), rest: false },
  ]);
  const routes = (router: ConnectRouter) => {
    for (const { service, implementation } of registry.served) router.service(service, implementation as never);
  };
  const metrics = createMetrics(database);
  const record = createRpcRecorder(options.log, metrics);
  // Who may call, in two steps: a request without valid credentials is refused before it is read
  // (the gate); the call of a valid token is checked against its method and projects once decoded
  // (the guard: one for gRPC and for everything connect-node serves).
  const authorizer = options.authorizer?.enabled === true ? options.authorizer : undefined;
  const reportDenial = createDenialReport(options.log, metrics.registry);
  const gate = authorizer === undefined ? undefined : createCredentialsGate(authorizer, reportDenial);
  const guard = authorizer === undefined ? undefined : createCallGuard(authorizer, reportDenial);
  // Channelz (grpc-js's per-call introspection) costs on every call and nothing here reads it.
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const inFlight = createInFlight(limits.maxInFlight);
  const grpcServer = new GrpcServer({
    "grpc.enable_channelz": 0,
    // grpc-js reads the length prefix and refuses a larger message before buffering it.
    "grpc.max_receive_message_length": limits.maxMessageBytes,
  });
  // The exchange interceptor comes first so it settles the status the error interceptor settles on;
  // overload is shed before any other work; auth comes before anything that reads the request's data.
  const auth = guard === undefined ? [] : [authInterceptor(guard)];
  const interceptors = [
    exchangeInterceptor(record),
    inFlightInterceptor(inFlight, limits.maxInFlight),
    ...auth,
    errorInterceptor(options.onInternalError),
  ];
  // Every unary call of gRPC, Connect and REST goes through it; connect-node makes the rest.
  const callUnary = createUnaryCaller(registry.served, interceptors);
  for (const { service, implementation } of registry.served) {
    registerGrpcService(grpcServer, service, implementation, {
      call: callUnary,
      record,
      onInternalError: options.onInternalError,
      guard,
      inFlight,
      maxInFlight: limits.maxInFlight,
    });
  }
  const restBindings = readHttpBindings(registry.restServices);
  const exchanges = createHttpExchanges(
    { methods: registry.methods, restPrefix: REST_PREFIX, restMethodOf: (verb, path) => restMethodOf(restBindings, verb, path) },
    record,
  );
  const contextValues = (request: Parameters<HttpHandler>[0]) => exchanges.contextValues(request);
  // Requests that are not RPCs, tried in order; anything left is a 404.
  const httpRoutes: HttpRoute[] = [
    options.authorizer === undefined
      ? createOpsRoute(isReady, metrics)
      : gateMetrics(createOpsRoute(isReady, metrics), options.authorizer, options.publicMetrics ?? false),
    // Before the console route: with EMULATOR_RESET on it answers /console/emulator.json.
    ...(options.emulatorReset === true ? [createProjectDataRoute(database, options.authorizer, limits.maxMessageBytes, options.onInternalError)] : []),
    createConsoleRoute(),
    ...(options.emulatorReset === true ? [createResetRoute(database, options.authorizer, options.onInternalError)] : []),
    createRestRoute({
      bindings: restBindings,
      call: callUnary,
      maxBodyBytes: limits.maxMessageBytes,
      contextValues,
    }),
  ];

  const answerHttpRoutes = chainHttpRoutes(httpRoutes, options.onInternalError);
  // gzip costs more CPU than it saves on loopback and LAN links for responses
  // of a few kB (a page of 100 conversations); only large pages are compressed.
  const compressMinBytes = 64 * 1024;
  const connectNode = connectNodeAdapter({
    routes: (router) => {
      routes(router);
      restateRefusedRequests(router.handlers);
    },
    interceptors,
    contextValues,
    // Checked against Content-Length and each envelope's length prefix before the body is read.
    readMaxBytes: limits.maxMessageBytes,
    fallback: answerHttpRoutes,
    compressMinBytes,
  });
  // The common unary Connect call is served without connect-node's per-call machinery; the rest by connect-node.
  const connectUnary = createConnectUnaryFastPath({
    methods: registry.methods,
    call: callUnary,
    readMaxBytes: limits.maxMessageBytes,
    compressMinBytes,
    contextValues,
  });
  const handler: HttpHandler = (request, response) => {
    // connect-node builds a URL from the path and Host, and throws on a Host such as "[": a target that
    // does not parse goes to the routes, which answer it 400.
    if (requestTarget(request).malformed !== undefined) answerHttpRoutes(request, response);
    else if (!connectUnary(request, response)) connectNode(request, response);
  };
  const corsOrigins = options.corsOrigins ?? { kind: "loopback" };

  const gatedHandler = gate === undefined ? handler : credentialsFirst(gate, handler, { onInternalError: options.onInternalError, exchanges });

  const listener: OnePortListener = await listenOnOnePort({
    // CORS first: preflights carry no credentials, and refusals need CORS headers a browser can read.
    http: (request, response) => {
      if (applyCors(corsOrigins, request, response)) return;
      exchanges.open(request, response);
      gatedHandler(request, response);
    },
    grpc: (http2) => {
      const grpcStreams = takeGrpcStreamHandler(grpcServer, http2);
      return gate === undefined
        ? grpcStreams
        : grpcCredentialsFirst(gate, grpcStreams, { onInternalError: options.onInternalError, exchanges });
    },
    limits,
    streamingRequestPaths: streamingRequestPaths(registry.methods),
    host: options.host,
    port: options.port,
    tls: options.tls,
  });
  const sweepIntervalSeconds = options.sweepIntervalSeconds ?? 0;
  const sweeper =
    sweepIntervalSeconds > 0
      ? startSweeper(database, {
          ...lifetime,
          intervalSeconds: sweepIntervalSeconds,
          onSweep: (counts) => {
            metrics.observeSweep(counts);
            options.onSweep?.(counts);
          },
          onError: options.onInternalError,
        })
      : undefined;
  // A side path: calls only write the outbox, this publishes it whenever Pub/Sub answers.
  const relay =
    options.events === undefined
      ? undefined
      : startEventRelay({
          database,
          publisher: createPubSubPublisher({ emulatorHost: options.events.pubsubEmulatorHost, timeoutMs: 30_000 }),
          log: options.log,
          metrics: metrics.events,
          publish: options.events.publish,
          outboxMax: options.events.outboxMax,
          missingTopicSeconds: options.events.missingTopicSeconds,
          upkeepMs: options.events.upkeepMs,
          pollMs: options.events.pollMs,
        });
  if (relay !== undefined) outbox.onWritten(() => relay.wake());
  return {
    port: listener.port,
    database,
    replaceTlsCertificate: (tls) => listener.replaceCertificate(tls),
    async close(graceMs) {
      await listener.close(graceMs);
      await sweeper?.stop();
      await relay?.stop();
    },
  };
}
