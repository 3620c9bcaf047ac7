// Validates every object in rendered Kubernetes manifests against the Kubernetes API schemas
// (npm `kubernetes-models`) and the Prometheus Operator CRD schemas
// (`@kubernetes-models/prometheus-operator`), offline.
//
//   node validate-schemas.mjs rendered.yaml [more.yaml ...]
//
// Exits 1 if any object is invalid or of a kind this script has no schema for: an object that
// cannot be checked is a failure, never a silent pass. Prints one line per object.

import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";

/** apiVersion -> module that exports one model class per kind of that group/version. */
const MODULE_BY_API_VERSION = {
  v1: "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "autoscaling/v2": "kubernetes-models/autoscaling/v2",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};

/** Reads a multi-document YAML file into plain objects, failing on any YAML error. */
async function readObjects(path) {
  const documents = parseAllDocuments(await readFile(path, "utf8"));
  const objects = [];
  for (const document of documents) {
    if (document.errors.length > 0) {
      throw new Error(`${path}: ${document.errors.map((e) => e.message).join("; ")}`);
    }
    const object = document.toJS();
    if (object !== null) objects.push(object);
  }
  return objects;
}

/** Returns the model class for an object's apiVersion and kind, or an explanation of why not. */
async function modelFor({ apiVersion, kind }) {
  const modulePath = MODULE_BY_API_VERSION[apiVersion];
  if (modulePath === undefined) return { reason: `no schema module for apiVersion ${apiVersion}` };
  const module = await import(modulePath);
  const Model = module[kind];
  if (typeof Model !== "function") return { reason: `no schema for kind ${kind} in ${apiVersion}` };
  return { Model };
}

/** Validates one object; returns a list of error messages (empty when valid). */
async function validateObject(object) {
  if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    return ["object has no apiVersion/kind"];
  }
  const { Model, reason } = await modelFor(object);
  if (Model === undefined) return [reason];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [error.message];
  }
}

async function main(paths) {
  if (paths.length === 0) {
    console.error("usage: node validate-schemas.mjs rendered.yaml [more.yaml ...]");
    return 2;
  }
  let checked = 0;
  let failed = 0;
  for (const path of paths) {
    for (const object of await readObjects(path)) {
      const name = `${object.kind}/${object.metadata?.name ?? "?"}`;
      const errors = await validateObject(object);
      checked += 1;
      if (errors.length === 0) {
        console.log(`ok    ${path} ${object.apiVersion} ${name}`);
      } else {
        failed += 1;
        for (const message of errors) console.log(`FAIL  ${path} ${object.apiVersion} ${name}: ${message}`);
      }
    }
  }
  console.log(`schema: ${checked - failed} passed, ${failed} failed`);
  return failed === 0 && checked > 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
