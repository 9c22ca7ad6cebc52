// Asks giro-intake's NATS micro service (io.nats.micro.v1) with the official NATS JavaScript
// service client (@nats-io/services' Svcm client) and prints what the client parsed.
//
//   node ops/tools/nats-micro/check.mjs <nats url> <prefix>
//
// The instance checked is the giro-intake whose endpoints are under `<prefix>.` (other deployments
// on the same NATS answer too). Its PING, INFO and STATS replies are checked against the schema the
// client declares (ServiceResponseType, ServiceIdentity, ServiceInfo, ServiceStats) and against
// the replies of a reference service that the same library runs here: every field the library's
// own service sends must be in Giro's reply with the same JSON type. Prints one JSON document
// `{ client, ping, info, stats }` and exits 0; on any refusal, prints why on stderr and exits 1.

import { readFileSync } from "node:fs";
import { connect } from "@nats-io/transport-node";
import { ServiceResponseType, Svcm } from "@nats-io/services";

const NAME = "giro-intake";
const DEADLINE_MS = 20_000;

class Refused extends Error {}

function refuse(message) {
  throw new Refused(message);
}

/// The JSON type of a value, as the comparison with the reference sees it.
function kind(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/// Every reply one verb gets from `name` (optionally one instance `id`), as the client parsed it.
async function ask(client, verb, name, id = "") {
  const iter = await client[verb](name, id);
  const replies = [];
  try {
    for await (const reply of iter) replies.push(reply);
  } catch (err) {
    refuse(`the official client could not parse a ${verb} reply of ${name}: ${err.message}`);
  }
  return replies;
}

/// Fields of `reference` that `reply` lacks or carries with another JSON type; `skip` are free.
function differences(what, reference, reply, skip = []) {
  const found = [];
  for (const [key, value] of Object.entries(reference)) {
    if (skip.includes(key)) continue;
    if (!(key in reply)) {
      found.push(`${what} has no "${key}" (the library's own service sends ${JSON.stringify(value)})`);
    } else if (kind(reply[key]) !== kind(value)) {
      found.push(`${what}."${key}" is ${kind(reply[key])}, the library's own service sends ${kind(value)}`);
    }
  }
  return found;
}

/// Checks `reply` to `verb` against the declared schema and the reference service's reply.
function conform(verb, reply, reference) {
  const expected = {
    ping: ServiceResponseType.PING,
    info: ServiceResponseType.INFO,
    stats: ServiceResponseType.STATS,
  }[verb];
  const problems = [];
  if (reply.type !== expected) {
    problems.push(`${verb} reply has type ${JSON.stringify(reply.type)}, expected "${expected}"`);
  }
  for (const field of ["name", "id", "version"]) {
    if (typeof reply[field] !== "string" || reply[field] === "") {
      problems.push(`${verb} reply has no ${field} string`);
    }
  }
  const metadata = reply.metadata;
  if (kind(metadata) !== "object" || Object.values(metadata).some((v) => typeof v !== "string")) {
    problems.push(`${verb} reply's metadata is not a map of strings: ${JSON.stringify(metadata)}`);
  }
  problems.push(...differences(`${verb} reply`, reference, reply, ["endpoints"]));
  if (verb !== "ping") {
    if (!Array.isArray(reply.endpoints) || reply.endpoints.length === 0) {
      problems.push(`${verb} reply has no endpoints`);
    } else {
      const ref = reference.endpoints[0];
      for (const e of reply.endpoints) {
        // `data` is the service's own (`unknown` in the client's types).
        problems.push(...differences(`${verb} endpoint ${e.name}`, ref, e, ["data"]));
      }
    }
  }
  if (verb === "stats" && Number.isNaN(Date.parse(reply.started))) {
    problems.push(`stats reply's started is not a date: ${JSON.stringify(reply.started)}`);
  }
  if (problems.length > 0) refuse(problems.join("\n"));
}

/// PING, INFO and STATS of a service the library itself runs, with one endpoint that has answered
/// one request with an error: the shape every reply of the protocol must have.
async function referenceReplies(nc, client) {
  const name = `giro-micro-reference-${process.pid}-${Date.now()}`;
  const subject = `_giro_micro_reference.${process.pid}.${Date.now()}`;
  const service = await new Svcm(nc).add({
    name,
    version: "0.0.1",
    description: "the library's own service, for comparison",
    metadata: { reference: "yes" },
    queue: "reference",
  });
  try {
    service.addEndpoint("refuse", {
      subject,
      metadata: { reference: "yes" },
      handler: (_err, msg) => msg.respondError(400, "refused"),
    });
    await nc.flush();
    await nc.request(subject, "", { timeout: 2000 });
    const [ping] = await ask(client, "ping", name);
    const [info] = await ask(client, "info", name);
    const [stats] = await ask(client, "stats", name);
    if (!ping || !info || !stats) refuse("the library's own reference service did not answer");
    return { ping, info, stats };
  } finally {
    await service.stop();
  }
}

async function main() {
  const [url, prefix] = process.argv.slice(2);
  if (!url || !prefix) {
    process.stderr.write("usage: node check.mjs <nats url> <prefix>\n");
    process.exit(2);
  }
  const manifest = new URL("./node_modules/@nats-io/services/package.json", import.meta.url);
  const { version } = JSON.parse(readFileSync(manifest, "utf8"));
  const nc = await connect({ servers: url, name: "giro-nats-micro-check" });
  try {
    const client = new Svcm(nc).client({ strategy: "stall", maxWait: 3000 });
    const under = `${prefix}.`;
    const ours = (await ask(client, "info", NAME)).filter(
      (i) => Array.isArray(i.endpoints) && i.endpoints.some((e) => String(e.subject).startsWith(under)),
    );
    if (ours.length === 0) refuse(`no ${NAME} instance with endpoints under ${under} answered $SRV.INFO.${NAME}`);
    if (ours.length > 1) refuse(`${ours.length} ${NAME} instances serve ${under}; expected one`);
    const id = ours[0].id;
    const one = async (verb) => {
      const replies = await ask(client, verb, NAME, id);
      if (replies.length !== 1) refuse(`${replies.length} replies to $SRV.${verb.toUpperCase()}.${NAME}.${id}; expected one`);
      return replies[0];
    };
    const parsed = { ping: await one("ping"), info: await one("info"), stats: await one("stats") };
    const reference = await referenceReplies(nc, client);
    for (const verb of ["ping", "info", "stats"]) conform(verb, parsed[verb], reference[verb]);
    process.stdout.write(`${JSON.stringify({ client: `@nats-io/services@${version}`, ...parsed })}\n`);
  } finally {
    await nc.close();
  }
}

const deadline = setTimeout(() => {
  process.stderr.write(`nats-micro check: no answer within ${DEADLINE_MS / 1000}s\n`);
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();

main().catch((err) => {
  const what = err instanceof Refused ? "refused" : "failed";
  process.stderr.write(`nats-micro check ${what}: ${err.message}\n`);
  process.exit(1);
});
