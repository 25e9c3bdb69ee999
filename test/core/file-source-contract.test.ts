import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { coreSchemes } from '@wayfinder/core';
import { describeSourceContract } from '../harness/source-contract.js';

describeSourceContract('file://', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wf-contract-'));
  const file = path.join(dir, 'endpoints.json');
  const ports = new Set([9100]);
  const write = () => writeFileSync(file, JSON.stringify([...ports].map((port) => ({ address: '127.0.0.1', port }))));
  write();
  return {
    target: `file://${file}`,
    schemes: coreSchemes,
    initialPort: 9100,
    add: async (port) => (ports.add(port), write()),
    remove: async (port) => (ports.delete(port), write()),
    // An unreadable file is a failing registry.
    break: async () => writeFileSync(file, 'not json'),
    restore: async () => write(),
    close: async () => {
      chmodSync(dir, 0o755);
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
