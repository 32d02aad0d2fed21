// ahi-contract SDK adapter (protocol version 1) for the AWS SDK for JavaScript v3.
//
// Run by `ahi-contract sdk --adapter js-v3`, or as `node adapters/js-v3/adapter.mjs`
// by any harness that speaks the protocol. It translates calls into
// @aws-sdk/client-medical-imaging calls and never judges. Retries are the SDK's
// own: a ConfiguredRetryStrategy with the call's maxAttempts, whose only change
// is a short fixed backoff so that a run stays fast.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import * as MedicalImaging from "@aws-sdk/client-medical-imaging";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { ConfiguredRetryStrategy } from "@smithy/util-retry";

const require = createRequire(import.meta.url);
const { version } = require("@aws-sdk/client-medical-imaging/package.json");

function plain(value) {
  if (value instanceof Date) return value.getTime() / 1000;
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

function clientFor(config) {
  const { credentials } = config;
  const timeout = Math.round(config.timeoutSeconds * 1000);
  return new MedicalImaging.MedicalImagingClient({
    endpoint: config.endpoint,
    region: config.region,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
    maxAttempts: config.maxAttempts,
    retryStrategy: new ConfiguredRetryStrategy(config.maxAttempts, () => 10),
    requestHandler: new NodeHttpHandler({ connectionTimeout: timeout, requestTimeout: timeout }),
  });
}

async function answer(message) {
  const id = message.id;
  const Command = MedicalImaging[`${message.operation}Command`];
  if (typeof Command !== "function") {
    return { id, error: { kind: "client", code: null, message: `unknown operation ${message.operation}` } };
  }
  const client = clientFor(message.config);
  try {
    const output = await client.send(new Command(message.input));
    return { id, output: plain(output) };
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
    client.destroy();
  }
}

process.stdout.write(
  JSON.stringify({ hello: "ahi-sdk-adapter/1", sdk: "aws-sdk-js-v3", version, language: "javascript" }) + "\n",
);
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  process.stdout.write(JSON.stringify(await answer(JSON.parse(line))) + "\n");
}
