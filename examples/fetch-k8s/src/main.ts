import { createZoneAwareAgent } from './agent.js';

// PLANNER_TARGET='k8s://agents/planner:http' ZONE=eu-west-1a pnpm start (kubeconfig from KUBECONFIG
// or ~/.kube/config), or through `kubectl proxy --port 8001`:
// PLANNER_TARGET='k8s://agents/planner:http?api=http://127.0.0.1:8001' ZONE=eu-west-1a pnpm start
const target = process.env.PLANNER_TARGET ?? 'k8s://agents/planner:http';
const zone = process.env.ZONE ?? process.env.TOPOLOGY_ZONE;
if (!zone) {
  console.error('set ZONE to this agent\'s zone (e.g. ZONE=eu-west-1a)');
  process.exit(2);
}
const calls = Number(process.env.CALLS ?? 20);
const agent = createZoneAwareAgent({ plannerTarget: target, zone });
try {
  const counts = new Map<string, number>();
  for (let i = 0; i < calls; i++) {
    const { answeredBy, zone: theirs } = await agent.ask(`question ${i}`);
    const key = `${answeredBy} (${theirs}${theirs === zone ? ', same zone' : ''})`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  console.log(`${calls} calls from zone ${zone} to ${target}:`);
  for (const [who, n] of counts) console.log(`  ${who}: ${n}`);
} finally {
  await agent.close();
}
