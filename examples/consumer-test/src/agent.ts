import { createClient, type ClientOptions, type WayfinderClient } from '@wayfinder/core';

/** What the agent is configured with: where its dependencies live (Wayfinder targets). */
export interface AgentConfig {
  /** Logical name → target, e.g. `{ planner: 'k8s://agents/planner:http', tools: 'dns-srv://_http._tcp.tools.svc' }`. */
  services: { planner: string; tools: string };
  /** Scheme factories for the targets (e.g. `{ ...coreSchemes, ...adapterSchemes }`). */
  schemes?: ClientOptions['schemes'];
}

export interface StepResult {
  tool: string;
  output: string;
}

/** The agent: asks the planner for steps, runs each with the tools service. */
export interface Agent {
  run(goal: string, options?: { conversationId?: string }): Promise<StepResult[]>;
  close(): Promise<void>;
}

export class AgentError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

export function createAgent(config: AgentConfig): Agent {
  const client: WayfinderClient = createClient({
    services: config.services,
    ...(config.schemes ? { schemes: config.schemes } : {}),
    timeoutMs: 10_000,
  });
  return {
    async run(goal, options = {}) {
      // Planning is a POST: the idempotency key makes it safe to retry on another planner.
      const planned = await client.fetch('http://planner/v1/plan', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `plan-${options.conversationId ?? goal}` },
        body: JSON.stringify({ goal }),
        ...(options.conversationId ? { affinityKey: options.conversationId } : {}),
      });
      if (!planned.ok) throw new AgentError(`planner answered ${planned.status}`, planned.status);
      const { steps } = (await planned.json()) as { steps: { tool: string; input: string }[] };
      const results: StepResult[] = [];
      for (const step of steps) {
        const res = await client.fetch(`http://tools/v1/tools/${encodeURIComponent(step.tool)}?input=${encodeURIComponent(step.input)}`);
        if (!res.ok) throw new AgentError(`tool ${step.tool} answered ${res.status}`, res.status);
        results.push({ tool: step.tool, output: await res.text() });
      }
      return results;
    },
    close: () => client.close(),
  };
}
