import { adapterSchemes, createRegistryServer, type RegistryServer } from '@wayfinder/adapters';
import { sticky } from '@wayfinder/balancer';
import { coreSchemes, createClient, type WayfinderClient } from '@wayfinder/core';
import { type Agent, startAgent, type TurnResult } from './agent.js';

/** A dev registry, two planner and two writer replicas, and a user client: everything on 127.0.0.1. */
export interface AgentSystem {
  readonly registryUrl: string;
  readonly planners: readonly Agent[];
  readonly writers: readonly Agent[];
  /** Sends one turn of a conversation to a planner (sticky on the conversation id). */
  turn(conversationId: string, text: string): Promise<TurnResult>;
  close(): Promise<void>;
}

export interface AgentSystemOptions {
  /** Use this registry instead of starting one in-process (e.g. `pnpm wayfinder registry`). */
  registryUrl?: string;
  replicas?: number;
}

export async function startAgentSystem(options: AgentSystemOptions = {}): Promise<AgentSystem> {
  let registry: RegistryServer | undefined;
  if (!options.registryUrl) {
    registry = createRegistryServer({ host: '127.0.0.1', port: 0 });
    await registry.listen();
  }
  const registryUrl = options.registryUrl ?? registry!.url;
  const replicas = options.replicas ?? 2;
  const agents: Agent[] = [];
  let user: WayfinderClient | undefined;
  const close = async () => {
    await user?.close();
    await Promise.all(agents.map((a) => a.close()));
    await registry?.close();
  };
  try {
    for (const role of ['planner', 'writer'] as const) {
      for (let i = 1; i <= replicas; i++) agents.push(await startAgent({ role, replica: `${role}-${i}`, registryUrl }));
    }
    user = createClient({
      services: { planner: `registry+${registryUrl}/planner` },
      schemes: { ...coreSchemes, ...adapterSchemes },
      balancer: sticky(),
      timeoutMs: 10_000,
    });
  } catch (error) {
    await close();
    throw error;
  }
  const client = user;
  return {
    registryUrl,
    planners: agents.filter((a) => a.role === 'planner'),
    writers: agents.filter((a) => a.role === 'writer'),
    async turn(conversationId, text) {
      const res = await client.fetch('http://planner/v1/turn', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${conversationId}-${text}` },
        body: JSON.stringify({ conversationId, text }),
        affinityKey: conversationId,
      });
      if (!res.ok) throw new Error(`planner answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as TurnResult;
    },
    close,
  };
}
