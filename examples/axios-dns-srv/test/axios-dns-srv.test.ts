import { AxiosError } from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIND_ZONE, bindBinaries, type BindServer, startBind } from '../../../test/harness/bind.js';
import { waitFor } from '../../../test/harness/processes.js';
import { createToolsApi, type ToolsApi } from '../src/tools-api.js';
import { startToolServer, type ToolServer } from '../src/tool-server.js';

// Under CI a missing `named` throws here (findBinary), so the test fails instead of skipping.
const BIND = bindBinaries();
const SRV = `_http._tcp.tools.${BIND_ZONE}.`;
const srv = (port: number) => `SRV 0 50 ${port} ns.${BIND_ZONE}.`;

describe.skipIf(BIND === undefined)('axios-dns-srv example (axios over SRV records served by BIND 9 on 127.0.0.1)', () => {
  let bind: BindServer;
  let servers: ToolServer[] = [];
  let api: ToolsApi;

  beforeAll(async () => {
    servers = await Promise.all(['t1', 't2', 't3'].map((name) => startToolServer({ name })));
    // t1 and t2 are published; t3 joins later. `ns.svc.test` is 127.0.0.1.
    bind = await startBind({ records: [`_http._tcp.tools 2 IN ${srv(servers[0]!.port)}`, `_http._tcp.tools 2 IN ${srv(servers[1]!.port)}`] });
    api = createToolsApi({ target: `dns-srv://${bind.server}/_http._tcp.tools.${BIND_ZONE}?maxRefreshMs=1000` });
  });

  afterAll(async () => {
    await api?.close();
    await bind?.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('sends axios requests to the endpoints of the SRV records', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await api.run('upper', `call ${i}`);
      expect(r.output).toBe(`CALL ${i}`);
      served.add(r.servedBy);
    }
    expect([...served].sort()).toEqual(['t1', 't2']);
  });

  it('keeps axios error semantics: a 404 rejects with an AxiosError carrying the response', async () => {
    const error = await api.run('no-such-tool', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).response?.status).toBe(404);
  });

  it('follows the records when one endpoint is removed and another added', async () => {
    await bind.update(`update delete ${SRV} ${srv(servers[0]!.port)}`, `update add ${SRV} 2 ${srv(servers[2]!.port)}`);
    await waitFor(async () => (await api.run('length', 'x')).servedBy === 't3', { timeoutMs: 20_000, what: 't3 to be used' });
    const before = servers[0]!.served;
    const served = new Set<string>();
    for (let i = 0; i < 20; i++) served.add((await api.run('reverse', 'abc')).servedBy);
    expect([...served].sort()).toEqual(['t2', 't3']);
    expect(servers[0]!.served).toBe(before);
  });
});
