import { http, HttpResponse } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mockService, setupMockServices } from '@wayfinder/testing';
import { AgentError, createAgent } from '../src/agent.js';

// Handlers are written for the logical URLs the agent calls; mockService serves them from
// several fake endpoints, each at its own address, so retries and faults can be exercised.
const planner = mockService('planner', { endpoints: 2 }, [
  http.post('http://planner/v1/plan', async ({ request }) => {
    const { goal } = (await request.json()) as { goal: string };
    return HttpResponse.json({ steps: [{ tool: 'search', input: goal }, { tool: 'summarize', input: 'results' }] });
  }),
]);
const tools = mockService('tools', { endpoints: 3 }, [
  http.get('http://tools/v1/tools/:tool', ({ params, request }) => new HttpResponse(`${String(params.tool)}(${new URL(request.url).searchParams.get('input')})`)),
]);
const mocks = setupMockServices(planner, tools);

beforeAll(() => mocks.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mocks.resetHandlers());
afterAll(() => mocks.close());

// The code under test is unchanged: only its configuration points at the mocks.
const config = { services: { planner: mocks.services.planner!, tools: mocks.services.tools! } };

describe('agent', () => {
  it('plans with the planner and runs each step with the tools service', async () => {
    const agent = createAgent(config);
    const results = await agent.run('weather in Lyon', { conversationId: 'c1' });
    expect(results).toEqual([
      { tool: 'search', output: 'search(weather in Lyon)' },
      { tool: 'summarize', output: 'summarize(results)' },
    ]);
    expect(planner.requests).toHaveLength(1);
    expect(planner.requests[0]!.headers.get('idempotency-key')).toBe('plan-c1');
    expect(tools.requests.map((r) => r.path)).toEqual(['/v1/tools/search?input=weather%20in%20Lyon', '/v1/tools/summarize?input=results']);
    await agent.close();
  });

  it('survives a planner endpoint that refuses connections (retried on the other one)', async () => {
    planner.endpoints[0]!.fail({ error: 'refused' });
    const agent = createAgent(config);
    for (let i = 0; i < 5; i++) await expect(agent.run('x')).resolves.toHaveLength(2);
    expect(planner.endpoints[1]!.requests).toHaveLength(5);
    // The refusing endpoint is quarantined after its first refusal.
    expect(planner.endpoints[0]!.requests.length).toBeLessThanOrEqual(1);
    await agent.close();
  });

  it('retries the POST to the planner after a 503 because it carries an idempotency key', async () => {
    planner.endpoints[0]!.failNext({ status: 503 });
    planner.endpoints[1]!.failNext({ status: 503 });
    const agent = createAgent(config);
    await expect(agent.run('x')).resolves.toHaveLength(2);
    expect(planner.requests.length).toBe(3);
    await agent.close();
  });

  it('reports a tools outage as an AgentError once retries are spent', async () => {
    for (const e of tools.endpoints) e.fail({ status: 503 });
    const agent = createAgent(config);
    const error = await agent.run('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).status).toBe(503);
    expect(tools.requests).toHaveLength(3);
    await agent.close();
  });
});
