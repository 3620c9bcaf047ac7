// Checks the deployment invariants that schemas cannot express, on one rendered overlay.
//
//   node check-policy.mjs dev|production rendered.yaml
//
// Every environment: hardened pod and container security context, probes on the right endpoints,
// resource requests and limits, a parseable TOML in the ConfigMap, objects in a non-default namespace,
// an Ingress exposing only the CDS Hooks API and the rulebook.
// Production: PostgreSQL through a Secret reference, at least two replicas via the HPA, a disruption
// budget, authentication required, OMS_CDS_ENVIRONMENT=production, and NO PLACEHOLDER LEFT (the
// overlays/production template is refused until a site fills in its names; each placeholder is
// reported as `placeholder: <where> = <value>`). Dev: one replica, no HPA (SQLite is a single
// process's file). Every environment: the admin token, when set, comes from a Secret.
// Exits 1 on the first failed rule set, listing every violation.

import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import { parse as parseToml } from "smol-toml";

const CONFIG_FILE_KEY = "oms-cds.toml";
// The only paths the Ingress may expose: the CDS Hooks API and the public rulebook pages. Health,
// readiness, metrics and admin endpoints stay inside the cluster.
const PUBLIC_PATHS = ["/cds-services", "/guideline"];

/** Collects violations; `check(condition, message)` records the message when the condition is false. */
function violations() {
  const found = [];
  return {
    found,
    check(condition, message) {
      if (!condition) found.push(message);
    },
  };
}

function findAll(objects, kind) {
  return objects.filter((object) => object.kind === kind);
}

function findOne(objects, kind, rules) {
  const matches = findAll(objects, kind);
  rules.check(matches.length === 1, `expected exactly one ${kind}, found ${matches.length}`);
  return matches[0];
}

function envVar(container, name) {
  return (container.env ?? []).find((entry) => entry.name === name);
}

/** Security, probes and resources that every environment must keep. */
function checkWorkload(deployment, rules) {
  const pod = deployment.spec?.template?.spec ?? {};
  rules.check(pod.automountServiceAccountToken === false, "pod must not mount a service account token");
  rules.check(pod.securityContext?.runAsNonRoot === true, "pod securityContext.runAsNonRoot must be true");
  rules.check(pod.securityContext?.seccompProfile?.type === "RuntimeDefault", "pod seccompProfile must be RuntimeDefault");
  rules.check((pod.topologySpreadConstraints ?? []).length > 0, "pod must declare topologySpreadConstraints");
  for (const container of pod.containers ?? []) {
    const where = `container ${container.name}`;
    const security = container.securityContext ?? {};
    rules.check(security.allowPrivilegeEscalation === false, `${where}: allowPrivilegeEscalation must be false`);
    rules.check(security.readOnlyRootFilesystem === true, `${where}: readOnlyRootFilesystem must be true`);
    rules.check(JSON.stringify(security.capabilities?.drop) === '["ALL"]', `${where}: must drop ALL capabilities`);
    rules.check(container.livenessProbe?.httpGet?.path === "/healthz", `${where}: liveness probe must GET /healthz`);
    rules.check(container.readinessProbe?.httpGet?.path === "/readyz", `${where}: readiness probe must GET /readyz`);
    rules.check(container.startupProbe?.httpGet !== undefined, `${where}: needs a startup probe`);
    for (const kind of ["requests", "limits"]) {
      for (const resource of ["cpu", "memory"]) {
        rules.check(container.resources?.[kind]?.[resource] !== undefined, `${where}: resources.${kind}.${resource} missing`);
      }
    }
  }
}

/** Parses the service configuration out of the rendered ConfigMap. */
function serviceConfig(objects, rules) {
  const configMap = findOne(objects, "ConfigMap", rules);
  const text = configMap?.data?.[CONFIG_FILE_KEY];
  rules.check(typeof text === "string", `ConfigMap must carry ${CONFIG_FILE_KEY}`);
  if (typeof text !== "string") return {};
  try {
    return parseToml(text);
  } catch (error) {
    rules.check(false, `${CONFIG_FILE_KEY} is not valid TOML: ${error.message}`);
    return {};
  }
}

// Values that mark a site-specific setting nobody filled in. `.invalid` (RFC 2606) is the marker the
// template uses (`*.replace-me.invalid`); REPLACE_ME in any spelling; the RFC 5737 documentation
// ranges, which never route; and the example.org/.com/.net names the manifests once shipped.
const PLACEHOLDER_PATTERNS = [
  /replace[-_ ]?me/i,
  /(^|[^a-z0-9-])[a-z0-9-]+(\.[a-z0-9-]+)*\.invalid(?![a-z0-9-])/i,
  /(^|[^0-9.])(192\.0\.2|198\.51\.100|203\.0\.113)\.[0-9]+/,
  /(^|[^a-z0-9-])example\.(org|com|net)(?![a-z0-9-])/i,
];

/** Every string leaf of `value` as [path, string]. */
function stringLeaves(value, path, out = []) {
  if (typeof value === "string") out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((item, index) => stringLeaves(item, `${path}[${index}]`, out));
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) stringLeaves(item, path === "" ? key : `${path}.${key}`, out);
  }
  return out;
}

/** Reports each placeholder value in the rendered objects and in the parsed service configuration
 * (parsed, so that comments in the TOML that explain the placeholders do not count). Metadata
 * annotations are prose (checkov skip reasons, descriptions) and are not searched. */
function checkNoPlaceholders(objects, config, rules) {
  const leaves = [];
  for (const object of objects) {
    const { metadata, data, ...rest } = object;
    const name = `${object.kind}/${metadata?.name}`;
    stringLeaves({ name: metadata?.name, namespace: metadata?.namespace, labels: metadata?.labels }, "metadata")
      .forEach(([path, text]) => leaves.push([`${name} ${path}`, text]));
    stringLeaves(rest, "").forEach(([path, text]) => leaves.push([`${name} ${path}`, text]));
    if (object.kind !== "ConfigMap") {
      stringLeaves(data ?? {}, "data").forEach(([path, text]) => leaves.push([`${name} ${path}`, text]));
    }
  }
  stringLeaves(config, "").forEach(([path, text]) => leaves.push([`${CONFIG_FILE_KEY} ${path}`, text]));
  for (const [where, text] of leaves) {
    rules.check(
      !PLACEHOLDER_PATTERNS.some((pattern) => pattern.test(text)),
      `placeholder: ${where} = ${JSON.stringify(text)} (replace it with the site's value)`,
    );
  }
}

function checkCommon(objects, rules) {
  for (const object of objects) {
    if (object.kind === "Namespace") continue;
    const namespace = object.metadata?.namespace;
    rules.check(namespace !== undefined && namespace !== "default", `${object.kind}/${object.metadata?.name} must live in a dedicated namespace`);
  }
  const deployment = findOne(objects, "Deployment", rules);
  if (deployment !== undefined) checkWorkload(deployment, rules);
  for (const kind of ["Service", "ServiceAccount", "NetworkPolicy", "Ingress", "ServiceMonitor", "PodDisruptionBudget"]) {
    findOne(objects, kind, rules);
  }
  const ingress = findAll(objects, "Ingress")[0];
  rules.check((ingress?.spec?.tls ?? []).length > 0, "Ingress must terminate TLS");
  const exposed = (ingress?.spec?.rules ?? []).flatMap((rule) => rule.http?.paths ?? []).map((path) => path.path).sort();
  rules.check(
    JSON.stringify(exposed) === JSON.stringify(PUBLIC_PATHS),
    `Ingress must expose exactly ${PUBLIC_PATHS.join(" and ")} (it exposes ${exposed.join(", ") || "nothing"})`,
  );
  const container = deployment?.spec?.template?.spec?.containers?.[0] ?? {};
  const adminToken = envVar(container, "OMS_CDS__ADMIN__TOKEN");
  rules.check(adminToken?.value === undefined, "OMS_CDS__ADMIN__TOKEN must not carry a literal value (Secret oms-cds-admin)");
  const config = serviceConfig(objects, rules);
  rules.check(config.admin?.token === undefined, `${CONFIG_FILE_KEY} must not carry admin.token (Secret oms-cds-admin)`);
  rules.check(typeof config.public_base_url === "string" && config.public_base_url.startsWith("https://"), "public_base_url must be an https URL");
  rules.check((config.auth?.issuers ?? []).length > 0, "[auth] must name at least one issuer");
  return { deployment, config };
}

function checkProduction(objects, rules) {
  const { deployment, config } = checkCommon(objects, rules);
  const container = deployment?.spec?.template?.spec?.containers?.[0] ?? {};
  const databaseUrl = envVar(container, "OMS_CDS_DATABASE_URL");
  rules.check(databaseUrl?.valueFrom?.secretKeyRef !== undefined, "OMS_CDS_DATABASE_URL must come from a secretKeyRef");
  rules.check(databaseUrl?.value === undefined, "OMS_CDS_DATABASE_URL must not carry a literal value");
  rules.check(findAll(objects, "Secret").length === 0, "no Secret may be committed: it is created out of band");
  const replicas = deployment?.spec?.replicas;
  rules.check(replicas === undefined || replicas >= 2, "Deployment replicas, when set, must be at least 2");
  const autoscaler = findOne(objects, "HorizontalPodAutoscaler", rules);
  rules.check((autoscaler?.spec?.minReplicas ?? 0) >= 2, "HPA minReplicas must be at least 2");
  rules.check(config.auth?.required !== false, "production must require authentication ([auth] required)");
  rules.check(config.fhir?.allow_http !== true, "production must not allow plain-http FHIR servers");
  rules.check(!String(config.storage?.database_url ?? "").startsWith("sqlite:"), "production must not use SQLite");
  rules.check(envVar(container, "OMS_CDS_ENVIRONMENT")?.value === "production", "production must set OMS_CDS_ENVIRONMENT=production");
  rules.check(
    envVar(container, "OMS_CDS__ADMIN__TOKEN")?.valueFrom?.secretKeyRef !== undefined,
    "OMS_CDS__ADMIN__TOKEN must come from a secretKeyRef (Secret oms-cds-admin)",
  );
  checkNoPlaceholders(objects, config, rules);
}

function checkDev(objects, rules) {
  const { deployment } = checkCommon(objects, rules);
  rules.check(deployment?.spec?.replicas === 1, "dev runs exactly one replica (SQLite)");
  rules.check(findAll(objects, "HorizontalPodAutoscaler").length === 0, "dev must not autoscale a SQLite deployment");
  const container = deployment?.spec?.template?.spec?.containers?.[0] ?? {};
  const databaseUrl = envVar(container, "OMS_CDS_DATABASE_URL");
  rules.check(String(databaseUrl?.value ?? "").startsWith("sqlite:"), "dev uses SQLite");
  rules.check(databaseUrl?.valueFrom === undefined, "dev database URL must not also reference a Secret");
}

const CHECKS_BY_ENVIRONMENT = { dev: checkDev, production: checkProduction };

async function main([environment, path]) {
  const checkEnvironment = CHECKS_BY_ENVIRONMENT[environment];
  if (checkEnvironment === undefined || path === undefined) {
    console.error("usage: node check-policy.mjs dev|production rendered.yaml  (site overlays use production)");
    return 2;
  }
  const objects = parseAllDocuments(await readFile(path, "utf8"))
    .map((document) => document.toJS())
    .filter((object) => object !== null);
  const rules = violations();
  checkEnvironment(objects, rules);
  for (const message of rules.found) console.log(`FAIL  policy ${environment}: ${message}`);
  console.log(`policy ${environment}: ${rules.found.length === 0 ? "ok" : `${rules.found.length} violation(s)`}`);
  return rules.found.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
