import axios, { AxiosError } from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type WayfinderClient } from '@wayfinder/core';
import { withWayfinder } from '@wayfinder/core/axios';
import { type Backend, refusingPort, startBackend, staticTarget, status } from './backends.js';
import { orderedPolicy } from './policies.js';

const backends: Backend[] = [];
const clients: WayfinderClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

describe('withWayfinder (axios)', () => {
  it('resolves, picks and retries for an axios instance, keeping axios response shapes', async () => {
    const dead = await refusingPort();
    const b = await startBackend((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ got: JSON.parse(req.body), host: req.host }));
    });
    backends.push(b);
    const policy = orderedPolicy([dead, b.port]);
    const c = createClient({ services: { planner: staticTarget(dead, b.port) }, balancer: policy });
    clients.push(c);
    const api = withWayfinder(axios.create({ baseURL: 'http://planner' }), c);
    const res = await api.post('/v1/plan', { goal: 'ship' });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ got: { goal: 'ship' }, host: 'planner' });
    expect(policy.log.ends.map((e) => e.outcome.failure)).toEqual(['connect', undefined]);
  });

  it('rejects an HTTP error status with an AxiosError carrying the response, as axios does', async () => {
    const b = await startBackend(status(404));
    backends.push(b);
    const c = createClient({ services: { planner: staticTarget(b.port) } });
    clients.push(c);
    const api = withWayfinder(axios.create(), c);
    const error = await api.get('http://planner/missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).response?.status).toBe(404);
    expect((error as AxiosError).response?.data).toBe('status 404');
  });

  it('rejects a Wayfinder failure with an AxiosError whose cause is the typed error', async () => {
    const dead = await refusingPort();
    const c = createClient({ services: { planner: staticTarget(dead) } });
    clients.push(c);
    const api = withWayfinder(axios.create(), c);
    const error = await api.get('http://planner/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AxiosError);
    expect(((error as AxiosError).cause as { code?: string }).code).toBe('WF_ERR_RETRIES_EXHAUSTED');
  });
});
