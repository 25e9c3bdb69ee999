import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { adapterSchemes, register, type Registration } from '@wayfinder/adapters';
import { sticky } from '@wayfinder/balancer';
import { coreSchemes, createClient, type WayfinderClient } from '@wayfinder/core';

/** What each kind of agent does; both keep per-conversation memory in the replica that served it. */
export type AgentRole = 'planner' | 'writer';

export interface AgentOptions {
  role: AgentRole;
  /** Replica name, e.g. `planner-1` (published as endpoint metadata). */
  replica: string;
  /** The dev registry, e.g. `http://127.0.0.1:7070`. */
  registryUrl: string;
  /** Registration TTL. Default 10 s. */
  ttlSeconds?: number;
  /** How long a closing agent stays terminating before it deregisters. Default 300 ms. */
  drainMs?: number;
}

export interface Agent {
  readonly role: AgentRole;
  readonly replica: string;
  readonly url: string;
  /** Conversations this replica remembers. */
  readonly conversations: ReadonlyMap<string, readonly string[]>;
  /** Drains (terminating, then deregistered), then stops serving. */
  close(): Promise<void>;
}

/** The planner's answer to a turn: who planned it, who drafted it, and what each remembered. */
export interface TurnResult {
  conversationId: string;
  turn: number;
  planner: string;
  writer: string;
  /** Drafts the writer replica remembers for this conversation (equals `turn` when it was sticky). */
  writerDrafts: number;
  /** The planner replica the writer reached when it looked the conversation up. */
  plannerSeenByWriter: string;
  /** Turns that planner replica remembered at that moment. */
  plannerTurnsSeenByWriter: number;
  draft: string;
}

const PEER: Record<AgentRole, AgentRole> = { planner: 'writer', writer: 'planner' };
const CALL_TIMEOUT_MS = 10_000;

/**
 * Starts an agent on 127.0.0.1 that registers itself as `role` in the dev registry and reaches
 * its peer role through `registry+http://…/<peer>` with the sticky policy, the conversation id
 * as affinity key. Planners call writers to draft; writers call planners back to read the
 * conversation. Because sticky's first binding comes from a consistent-hash ring, every
 * client picks the same replica for a conversation, so the writer finds the planner that holds it.
 */
export async function startAgent(options: AgentOptions): Promise<Agent> {
  const { role, replica } = options;
  const memory = new Map<string, string[]>();
  const peerRole = PEER[role];
  const client: WayfinderClient = createClient({
    services: { [peerRole]: `registry+${options.registryUrl.replace(/\/+$/, '')}/${peerRole}` },
    schemes: { ...coreSchemes, ...adapterSchemes },
    balancer: sticky(),
    timeoutMs: CALL_TIMEOUT_MS,
  });

  const server = http.createServer((req, res) => {
    handle(req).then(
      ({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      },
      (error: Error) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: error.message }));
      },
    );
  });

  const readJson = async (req: http.IncomingMessage) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    return JSON.parse(text || '{}') as Record<string, unknown>;
  };

  async function handle(req: http.IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (role === 'planner' && req.method === 'POST' && url.pathname === '/v1/turn') {
      const { conversationId, text } = (await readJson(req)) as { conversationId: string; text: string };
      const turns = memory.get(conversationId) ?? [];
      memory.set(conversationId, turns);
      turns.push(text);
      const res = await client.fetch('http://writer/v1/draft', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${conversationId}-${turns.length}` },
        body: JSON.stringify({ conversationId }),
        affinityKey: conversationId,
      });
      const draft = (await res.json()) as Omit<TurnResult, 'conversationId' | 'turn' | 'planner'>;
      if (!res.ok) return { status: 502, body: draft };
      return { status: 200, body: { conversationId, turn: turns.length, planner: replica, ...draft } satisfies TurnResult };
    }
    if (role === 'writer' && req.method === 'POST' && url.pathname === '/v1/draft') {
      const { conversationId } = (await readJson(req)) as { conversationId: string };
      const drafts = memory.get(conversationId) ?? [];
      memory.set(conversationId, drafts);
      // Find the planner that holds this conversation: same affinity key, same replica.
      const res = await client.fetch(`http://planner/v1/conversations/${encodeURIComponent(conversationId)}`, { affinityKey: conversationId });
      const known = (await res.json()) as { replica: string; turns: string[] };
      const draft = `draft ${drafts.length + 1}: ${known.turns.at(-1) ?? '(planner does not know this conversation)'}`;
      drafts.push(draft);
      return {
        status: 200,
        body: { writer: replica, writerDrafts: drafts.length, plannerSeenByWriter: known.replica, plannerTurnsSeenByWriter: known.turns.length, draft },
      };
    }
    const match = /^\/v1\/conversations\/([^/]+)$/.exec(url.pathname);
    if (role === 'planner' && req.method === 'GET' && match) {
      return { status: 200, body: { replica, turns: memory.get(decodeURIComponent(match[1]!)) ?? [] } };
    }
    return { status: 404, body: { error: `no route ${req.method} ${url.pathname}` } };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let registration: Registration;
  try {
    registration = register({
      registry: options.registryUrl,
      service: role,
      endpoint: { address: '127.0.0.1', port, metadata: { replica } },
      ttlSeconds: options.ttlSeconds ?? 10,
      drainMs: options.drainMs ?? 300,
    });
    await registration.ready({ timeoutMs: 10_000 });
  } catch (error) {
    await client.close();
    server.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    role,
    replica,
    url: `http://127.0.0.1:${port}`,
    conversations: memory,
    close: () =>
      (closing ??= (async () => {
        await registration.close();
        await client.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
      })()),
  };
}
