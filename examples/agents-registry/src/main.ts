import { startAgentSystem } from './conversations.js';

// REGISTRY_URL=http://127.0.0.1:7070 uses a running registry (`pnpm wayfinder registry`);
// without it the example starts one in-process on a free port.
const system = await startAgentSystem(process.env.REGISTRY_URL ? { registryUrl: process.env.REGISTRY_URL } : {});
console.log(`registry ${system.registryUrl}: ${system.planners.length} planners, ${system.writers.length} writers registered`);
try {
  const conversations = ['trip-to-lisbon', 'quarterly-report', 'birthday-party', 'bug-4711'];
  await Promise.all(
    conversations.map(async (id) => {
      for (const text of ['start', 'refine', 'finish']) {
        const r = await system.turn(id, `${text} ${id}`);
        console.log(
          `${id.padEnd(17)} turn ${r.turn}: ${r.planner} → ${r.writer} (writer's draft #${r.writerDrafts}; it read the conversation from ${r.plannerSeenByWriter}, ${r.plannerTurnsSeenByWriter} turns)`,
        );
      }
    }),
  );
} finally {
  await system.close();
}
