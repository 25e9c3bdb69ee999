/** Placeholder demo (grown by issue 7): resolves and watches a file target while it changes. */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createResolver, snapshotToJSON } from '@wayfinder/core';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wayfinder-demo-'));
const file = path.join(dir, 'endpoints.json');
const write = (ports: number[]) => writeFileSync(file, JSON.stringify({ endpoints: ports.map((port) => ({ address: '127.0.0.1', port })) }));
write([8080, 8081]);
const resolver = createResolver({ target: `file://${file}` });
resolver.subscribe((s) => console.log(JSON.stringify(snapshotToJSON(s))));
await resolver.ready({ timeoutMs: 5000 });
for (const ports of [[8080, 8081, 8082], [8081, 8082]]) {
  await new Promise((r) => setTimeout(r, 300));
  write(ports);
}
await new Promise((r) => setTimeout(r, 300));
await resolver.close();
rmSync(dir, { recursive: true, force: true });
