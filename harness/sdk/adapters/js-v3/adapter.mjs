// ahi-contract SDK adapter (protocol version 1.1) for the AWS SDK for JavaScript v3.
//
// Run by `ahi-contract sdk --adapter js-v3`, or as `node harness/sdk/adapters/js-v3/adapter.mjs`
// by any harness that speaks the protocol. It translates calls into
// @aws-sdk/client-medical-imaging calls and never judges. Retries are the SDK's
// own: a ConfiguredRetryStrategy with the call's maxAttempts, whose only change
// is a short fixed backoff so that a run stays fast, or, when config.shortBackoff
// is false, the SDK's default StandardRetryStrategy untouched. Blobs travel as
// {"$base64": ...}: input blobs become Uint8Array, streaming bodies are read
// whole with transformToByteArray() and reported unchanged. The host prefix is
// injected unless the call's config.hostPrefix is false (disableHostPrefix);
// config.proxy is honoured by a request handler that sends the SDK's finished
// (signed) request to the proxy in absolute form, and an https endpoint through
// the proxy's CONNECT tunnel; calls with one config.clientId share one client
// (its retry quota and clock offset). A null endpoint or region is left to the
// SDK (its endpoint ruleset), with config.useFipsEndpoint and
// config.useDualstackEndpoint as the client options of the same names. The
// greeting's `retries` says which retry behaviour the SDK runs: `2026` when the
// client's own copy of @smithy/core says Retry.v2026, else `standard`.
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import * as MedicalImaging from "@aws-sdk/client-medical-imaging";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { ConfiguredRetryStrategy } from "@smithy/util-retry";

const require = createRequire(import.meta.url);
const { version } = require("@aws-sdk/client-medical-imaging/package.json");
// The schema classes of the very copy of @smithy/core the client runs on.
const { NormalizedSchema } = createRequire(require.resolve("@aws-sdk/client-medical-imaging"))(
  "@smithy/core/schema",
);
const { Retry } = createRequire(require.resolve("@aws-sdk/client-medical-imaging"))("@smithy/core/retry");
const BLOB = "$base64";

// A call's input as the SDK takes it, read by the operation's input schema:
// {"$base64": ...} at a blob becomes a Uint8Array, epoch seconds at a timestamp a Date.
function fromProtocol(schema, value) {
  if (value === null || value === undefined) return value;
  if (schema.isBlobSchema() && typeof value[BLOB] === "string") {
    return new Uint8Array(Buffer.from(value[BLOB], "base64"));
  }
  if (schema.isTimestampSchema() && typeof value === "number") return new Date(value * 1000);
  if (schema.isListSchema() && Array.isArray(value)) {
    return value.map((item) => fromProtocol(schema.getValueSchema(), item));
  }
  if (schema.isMapSchema() && typeof value === "object") {
    const target = schema.getValueSchema();
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fromProtocol(target, item)]));
  }
  if (schema.isStructSchema() && typeof value === "object") {
    const members = Object.fromEntries(schema.structIterator());
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, members[key] ? fromProtocol(members[key], item) : item]),
    );
  }
  return value;
}

function plain(value) {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof Uint8Array) return { [BLOB]: Buffer.from(value).toString("base64") };
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, item]) => key !== "$metadata" && item !== undefined)
        .map(([key, item]) => [key, plain(item)]),
    );
  }
  return value;
}

// Streaming payloads (GetImageFrame, GetImageSetMetadata) are read whole, as sent.
async function readStreams(output) {
  const read = {};
  for (const [key, item] of Object.entries(output)) {
    read[key] = typeof item?.transformToByteArray === "function" ? await item.transformToByteArray() : item;
  }
  return read;
}

// A plain-HTTP forward proxy: the request line carries the absolute URL the SDK
// chose (host prefix included), the Host header stays as the SDK signed it.
class ProxyHandler {
  constructor(proxy, inner) {
    this.proxy = new URL(proxy);
    this.inner = inner;
  }

  handle(request, options) {
    if (request.protocol === "https:") return this.inner.handle(request, options);
    const port = request.port ? `:${request.port}` : "";
    const proxied = {
      ...request,
      headers: { ...request.headers },
      path: `${request.protocol}//${request.hostname}${port}${request.path}`,
      hostname: this.proxy.hostname,
      port: Number(this.proxy.port),
    };
    return this.inner.handle(proxied, options);
  }

  updateHttpClientConfig(key, value) {
    this.inner.updateHttpClientConfig(key, value);
  }

  httpHandlerConfigs() {
    return this.inner.httpHandlerConfigs();
  }

  destroy() {
    this.inner.destroy();
  }
}

// An https.Agent that opens each connection through the proxy's CONNECT tunnel.
class TunnelAgent extends https.Agent {
  constructor(proxy, options) {
    super(options);
    this.proxy = new URL(proxy);
  }

  createConnection(options, callback) {
    const host = options.host ?? options.hostname;
    const authority = `${host}:${options.port || 443}`;
    const request = http.request({
      host: this.proxy.hostname,
      port: Number(this.proxy.port),
      method: "CONNECT",
      path: authority,
      headers: { host: authority },
    });
    request.once("connect", (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        callback(new Error(`the proxy refused CONNECT ${authority}: ${response.statusCode}`));
        return;
      }
      callback(null, tls.connect({ ...options, socket, servername: options.servername ?? host }));
    });
    request.once("error", (error) => callback(error));
    request.end();
  }
}

const clients = new Map();

// The client of the call's clientId, or a new one (destroyed after the call).
function clientFor(config) {
  const key = config.clientId;
  if (typeof key !== "string") return { client: newClient(config), shared: false };
  if (!clients.has(key)) clients.set(key, newClient(config));
  return { client: clients.get(key), shared: true };
}

function newClient(config) {
  const { credentials } = config;
  const timeout = Math.round(config.timeoutSeconds * 1000);
  const handler = new NodeHttpHandler({
    connectionTimeout: timeout,
    socketTimeout: timeout,
    ...(config.proxy ? { httpsAgent: new TunnelAgent(config.proxy, { keepAlive: true }) } : {}),
  });
  const short = config.shortBackoff !== false;
  return new MedicalImaging.MedicalImagingClient({
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.region ? { region: config.region } : {}),
    useFipsEndpoint: config.useFipsEndpoint === true,
    useDualstackEndpoint: config.useDualstackEndpoint === true,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
    maxAttempts: config.maxAttempts,
    ...(short ? { retryStrategy: new ConfiguredRetryStrategy(config.maxAttempts, () => 10) } : {}),
    requestHandler: config.proxy ? new ProxyHandler(config.proxy, handler) : handler,
    disableHostPrefix: config.hostPrefix === false,
  });
}

async function answer(message) {
  const id = message.id;
  const Command = MedicalImaging[`${message.operation}Command`];
  const inputSchema = MedicalImaging[`${message.operation}Request$`];
  if (typeof Command !== "function" || inputSchema === undefined) {
    return { id, error: { kind: "client", code: null, message: `unknown operation ${message.operation}` } };
  }
  const { client, shared } = clientFor(message.config);
  try {
    const input = fromProtocol(NormalizedSchema.of(inputSchema), message.input);
    const output = await client.send(new Command(input));
    return { id, output: plain(await readStreams(output)) };
  } catch (error) {
    const status = error?.$metadata?.httpStatusCode;
    if (status === undefined) {
      return { id, error: { kind: "client", code: null, message: String(error?.message ?? error) } };
    }
    const Modeled = MedicalImaging[error.name];
    return {
      id,
      error: {
        kind: "service",
        code: error.name ?? null,
        message: error.message ?? "",
        httpStatus: status ?? null,
        modeled: typeof Modeled === "function" && error instanceof Modeled,
      },
    };
  } finally {
    if (!shared) client.destroy();
  }
}

process.stdout.write(
  JSON.stringify({
    hello: "ahi-sdk-adapter/1",
    sdk: "aws-sdk-js-v3",
    version,
    language: "javascript",
    retries: Retry.v2026 ? "2026" : "standard",
  }) + "\n",
);
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  process.stdout.write(JSON.stringify(await answer(JSON.parse(line))) + "\n");
}
for (const client of clients.values()) client.destroy();
