// Evaluates many credential cases with the real @aws-sdk/credential-provider-node in one Node process.
// argv: <node_modules dir> <cases.json>; prints one JSON result per case on stdout (a JSON array).
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const mods = process.argv[2];
const { defaultProvider } = require(path.join(mods, "@aws-sdk/credential-provider-node"));
const { loadConfig, NODE_REGION_CONFIG_OPTIONS } = require(path.join(mods, "@smithy/core/config"));
const cases = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
console.warn = () => {}; // the "multiple credential sources" notice; the model records it as a note

async function one(c) {
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, c.env);
  const out = { id: c.id };
  try {
    const cr = await defaultProvider()();
    out.ok = true;
    out.akid = cr.accessKeyId;
    out.token = cr.sessionToken ?? null;
  } catch (e) {
    out.ok = false;
    out.error = String(e && e.message).slice(0, 300);
  }
  try {
    out.region = await loadConfig(NODE_REGION_CONFIG_OPTIONS)();
  } catch (e) {
    out.region = null;
  }
  return out;
}

(async () => {
  const results = [];
  for (const c of cases) results.push(await one(c));
  process.stdout.write(JSON.stringify(results));
})();
