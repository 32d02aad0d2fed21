// ahi-contract SDK adapter (protocol version 1.1) for the AWS SDK for JavaScript v2.
//
// Run by `ahi-contract sdk --adapter js-v2`, or as `node harness/sdk/adapters/js-v2/adapter.mjs`
// by any harness that speaks the protocol. It translates calls into AWS.MedicalImaging calls
// (aws-sdk 2.x: its own rest-json serializer, SigV4 signer, retry policy and error parser)
// and never judges. Everything is the SDK's default but what a call's config sets:
// retries are the SDK's own legacy policy with maxRetries = maxAttempts - 1, whose only
// change is a short backoff base (retryDelayOptions.base) so that a run stays fast, or,
// when config.shortBackoff is false, the SDK's default delays untouched; clock-skew
// correction stays off (correctClockSkew's default). Blobs travel as {"$base64": ...}:
// input blobs become Buffers, streaming bodies come back whole as Buffers and are reported
// unchanged. The host prefix is injected unless the call's config.hostPrefix is false
// (hostPrefixEnabled: false); config.proxy is the SDK's own httpOptions.proxy for an http
// endpoint (the request line in absolute form), and for an https one an httpOptions.agent
// that opens a CONNECT tunnel through it (the SDK has no CONNECT support of its own); calls
// with one config.clientId share one client (its clock offset). A null endpoint or region
// is left to the SDK (its region table), with config.useFipsEndpoint and
// config.useDualstackEndpoint as the client options of the same names.
//
// The greeting declares what protocol 1.1 lets an SDK declare beyond its name: `retries`
// is `legacy` (aws-sdk 2.x has neither the standard nor the 2026 retry behaviour, only its
// own: maxRetries, base 100 ms, no retry quota), `errors` is `code` (one error type, an
// Error whose `code` names the service's error: the minimized models aws-sdk 2.x ships have
// no error shapes), so every service error is reported with modeled false.
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

// The end-of-support notice aws-sdk prints once loaded goes to stderr as a process warning;
// it is switched off before loading, so that nothing but the SDK's behaviour is reported.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";
const require = createRequire(import.meta.url);
require("aws-sdk/lib/maintenance_mode_message").suppress = true;
const AWS = require("aws-sdk");

const BLOB = "$base64";
const SHORT_BACKOFF_BASE_MS = 5;

// A call's input as the SDK takes it, read by the operation's input shape:
// {"$base64": ...} at a blob becomes a Buffer, epoch seconds at a timestamp a Date.
function fromProtocol(shape, value) {
  if (value === null || value === undefined || shape === undefined) return value;
  if ((shape.type === "binary" || shape.type === "base64") && typeof value[BLOB] === "string") {
    return Buffer.from(value[BLOB], "base64");
  }
  if (shape.type === "timestamp" && typeof value === "number") return new Date(value * 1000);
  if (shape.type === "list" && Array.isArray(value)) {
    return value.map((item) => fromProtocol(shape.member, item));
  }
  if (shape.type === "map" && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fromProtocol(shape.value, item)]));
  }
  if (shape.type === "structure" && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, fromProtocol(shape.members[key], item)]),
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
        .filter(([, item]) => item !== undefined && item !== null)
        .map(([key, item]) => [key, plain(item)]),
    );
  }
  return value;
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

// The client of the call's clientId, or a new one.
function clientFor(config) {
  const key = config.clientId;
  if (typeof key !== "string") return newClient(config);
  if (!clients.has(key)) clients.set(key, newClient(config));
  return clients.get(key);
}

function newClient(config) {
  const { credentials } = config;
  const timeout = Math.round(config.timeoutSeconds * 1000);
  const client = new AWS.MedicalImaging({
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.region ? { region: config.region } : {}),
    useFipsEndpoint: config.useFipsEndpoint === true,
    useDualstackEndpoint: config.useDualstackEndpoint === true,
    credentials: new AWS.Credentials({
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken ?? undefined,
    }),
    maxRetries: config.maxAttempts - 1,
    ...(config.shortBackoff !== false ? { retryDelayOptions: { base: SHORT_BACKOFF_BASE_MS } } : {}),
    hostPrefixEnabled: config.hostPrefix !== false,
    httpOptions: { connectTimeout: timeout, timeout },
  });
  if (config.proxy) {
    // The endpoint the SDK settled on (given, or from its region table) says which way.
    if (client.endpoint.protocol === "https:") {
      client.config.httpOptions.agent = new TunnelAgent(config.proxy);
    } else {
      client.config.httpOptions.proxy = config.proxy;
    }
  }
  return client;
}

function lowerFirst(name) {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

async function answer(message) {
  const id = message.id;
  let client;
  try {
    client = clientFor(message.config);
  } catch (error) {
    return { id, error: { kind: "client", code: null, message: String(error?.message ?? error) } };
  }
  const method = lowerFirst(message.operation);
  const operation = client.api.operations[method];
  if (operation === undefined || typeof client[method] !== "function") {
    return { id, error: { kind: "client", code: null, message: `unknown operation ${message.operation}` } };
  }
  // A service error is one the SDK's own extractError listeners built from an error
  // response; anything else (a timeout, a dropped connection, a refused tunnel, the SDK's
  // parameter validation) had no service answer, even when an earlier attempt had one and
  // the SDK copied its statusCode onto the error.
  const fromResponses = new Set();
  try {
    const request = client[method](fromProtocol(operation.input, message.input));
    request.on("extractError", (response) => fromResponses.add(response.error));
    const output = await request.promise();
    return { id, output: plain(output) };
  } catch (error) {
    if (!fromResponses.has(error)) {
      return { id, error: { kind: "client", code: null, message: `${error?.code ?? "Error"}: ${error?.message ?? error}` } };
    }
    return {
      id,
      error: {
        kind: "service",
        code: error.code ?? null,
        message: error.message ?? "",
        httpStatus: error.statusCode ?? null,
        modeled: false,
      },
    };
  }
}

process.stdout.write(
  JSON.stringify({
    hello: "ahi-sdk-adapter/1",
    sdk: "aws-sdk-js-v2",
    version: AWS.VERSION,
    language: "javascript",
    retries: "legacy",
    errors: "code",
  }) + "\n",
);
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  process.stdout.write(JSON.stringify(await answer(JSON.parse(line))) + "\n");
}
