// Differential-test driver: reads a JSON array of cases on stdin, runs each through
// @cloud-copilot/iam-simulate (installed beside this file by the pytest fixture), and prints one JSON
// array of {id, result, errors} on stdout. A case is
// {id, identity: [policy docs], scps: [policy docs], action, resource, context}.
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const c of process.stdin) chunks.push(c)
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const out = []
for (const c of cases) {
  const sim = {
    identityPolicies: c.identity.map((p, i) => ({ name: `id${i}`, policy: p })),
    serviceControlPolicies: c.scps.length
      ? [{ orgIdentifier: 'r-root', policies: c.scps.map((p, i) => ({ name: `scp${i}`, policy: p })) }]
      : [],
    resourceControlPolicies: [],
    request: {
      action: c.action,
      principal: 'arn:aws:iam::111122223333:role/ccwb-test',
      resource: { accountId: '111122223333', resource: c.resource },
      contextVariables: c.context
    }
  }
  try {
    const r = await runSimulation(sim, {})
    out.push({
      id: c.id,
      result: r.overallResult ?? null,
      errors: r.errors ?? null,
      ignored: (r.result && r.result.ignoredContextKeys) || []
    })
  } catch (e) {
    out.push({ id: c.id, result: null, errors: String(e && e.message ? e.message : e) })
  }
}
process.stdout.write(JSON.stringify(out))
