import http from 'node:http';
import { createAgent } from './agent.js';

// Production wiring: targets come from the environment, e.g.
// PLANNER_TARGET=static://10.0.0.5:8080 TOOLS_TARGET=static://10.0.0.6:8080 pnpm start
const agent = createAgent({
  services: {
    planner: process.env.PLANNER_TARGET ?? 'static://127.0.0.1:8081',
    tools: process.env.TOOLS_TARGET ?? 'static://127.0.0.1:8082',
  },
});

const server = http.createServer(async (req, res) => {
  const goal = new URL(req.url ?? '/', 'http://agent').searchParams.get('goal');
  if (!goal) {
    res.writeHead(400).end('goal is required');
    return;
  }
  try {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(await agent.run(goal)));
  } catch (error) {
    res.writeHead(502).end(String(error));
  }
});
server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1');
