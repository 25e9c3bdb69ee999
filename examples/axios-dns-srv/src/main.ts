import { createToolsApi } from './tools-api.js';

// TOOLS_TARGET='dns-srv:///_http._tcp.tools.default.svc.cluster.local' pnpm start
// (a Kubernetes Service's named port `http` has exactly this SRV record), or a server of your own:
// TOOLS_TARGET='dns-srv://127.0.0.1:5300/_http._tcp.tools.svc.test?maxRefreshMs=5000' pnpm start
const target = process.env.TOOLS_TARGET;
if (!target) {
  console.error('set TOOLS_TARGET, e.g. dns-srv:///_http._tcp.tools.default.svc.cluster.local');
  process.exit(2);
}
const api = createToolsApi({ target });
try {
  for (const [tool, input] of [['upper', 'wayfinder'], ['reverse', 'dns srv'], ['length', 'axios']] as const) {
    const r = await api.run(tool, input);
    console.log(`${tool}(${JSON.stringify(input)}) = ${JSON.stringify(r.output)}  served by ${r.servedBy}`);
  }
} finally {
  await api.close();
}
