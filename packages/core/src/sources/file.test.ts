import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createResolver, type ResolverState } from '../resolver.js';
import { InvalidEndpointError } from '../errors.js';
import { parseEndpointsFile } from './file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(content: unknown): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wf-file-'));
  dirs.push(dir);
  const file = path.join(dir, 'endpoints.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function until(resolver: { current: ResolverState | undefined }, check: (s: ResolverState) => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(resolver.current && check(resolver.current))) {
    if (Date.now() > deadline) throw new Error(`condition not met; state: ${JSON.stringify(resolver.current)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return resolver.current;
}

describe('parseEndpointsFile', () => {
  it('accepts an array or an object with endpoints and a revision', () => {
    expect(parseEndpointsFile('[{"address":"a","port":1}]', 'f').endpoints).toHaveLength(1);
    expect(parseEndpointsFile('{"revision":5,"endpoints":[]}', 'f')).toEqual({ endpoints: [], revision: '5' });
  });

  it.each([
    ['{', 'is not valid JSON'],
    ['{"x":1}', 'must hold an array of endpoints'],
    ['[{"address":"a","port":"x"}]', 'endpoints[0].port'],
    ['[{"address":"a","port":1},{"address":"a","port":1}]', 'duplicate endpoint id "a:1"'],
  ])('rejects %s naming %s', (text, problem) => {
    expect(() => parseEndpointsFile(text, '/tmp/f.json')).toThrow(InvalidEndpointError);
    expect(() => parseEndpointsFile(text, '/tmp/f.json')).toThrow(problem);
  });
});

describe('file source', () => {
  it('re-reads the file when it changes, also when an editor replaces it', async () => {
    const file = tempFile([{ address: '127.0.0.1', port: 8080 }]);
    const resolver = createResolver({ target: `file://${file}` });
    await resolver.ready({ timeoutMs: 10_000 });
    writeFileSync(file, JSON.stringify([{ address: '127.0.0.1', port: 8081 }]));
    await until(resolver, (s) => s.endpoints.has('127.0.0.1:8081'));
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify([{ address: '127.0.0.1', port: 8082 }]));
    renameSync(tmp, file);
    await until(resolver, (s) => s.endpoints.has('127.0.0.1:8082') && s.endpoints.size === 1);
    await resolver.close();
  });

  it('keeps the last good set when the file becomes invalid, reports the error, and recovers', async () => {
    const file = tempFile([{ address: '127.0.0.1', port: 8080 }]);
    const resolver = createResolver({ target: `file://${file}` });
    await resolver.ready({ timeoutMs: 10_000 });
    writeFileSync(file, '[{"address":"127.0.0.1","port":"oops"}]');
    const stale = await until(resolver, (s) => s.stale);
    expect(stale.endpoints.endpoints.map((e) => e.id)).toEqual(['127.0.0.1:8080']);
    expect(stale.error?.message).toContain('endpoints[0].port');
    writeFileSync(file, JSON.stringify([{ address: '127.0.0.1', port: 9000 }]));
    const fixed = await until(resolver, (s) => !s.stale && s.endpoints.has('127.0.0.1:9000'));
    expect(fixed.error).toBeNull();
    await resolver.close();
  });

  it('resolves relative paths against the working directory', async () => {
    const file = tempFile([{ address: '127.0.0.1', port: 1 }]);
    const relative = path.relative(process.cwd(), file);
    const resolver = createResolver({ target: `file:${relative}` });
    const state = await resolver.ready({ timeoutMs: 10_000 });
    expect(state.endpoints.size).toBe(1);
    await resolver.close();
  });
});
