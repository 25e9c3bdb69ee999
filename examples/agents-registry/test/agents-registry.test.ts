import { afterEach, describe, expect, it } from 'vitest';
import type { TurnResult } from '../src/agent.js';
import { type AgentSystem, startAgentSystem } from '../src/conversations.js';

describe('agents-registry example (dev registry on 127.0.0.1)', () => {
  let system: AgentSystem | undefined;
  afterEach(async () => {
    await system?.close();
    system = undefined;
  });

  it('keeps every turn of a conversation on the same planner and writer replicas, which find each other through the registry', async () => {
    system = await startAgentSystem();
    const conversations = ['c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6'];
    const transcripts = await Promise.all(
      conversations.map(async (id) => {
        const turns: TurnResult[] = [];
        for (let t = 1; t <= 3; t++) turns.push(await system!.turn(id, `turn ${t}`));
        return turns;
      }),
    );
    for (const turns of transcripts) {
      expect(new Set(turns.map((t) => t.planner)).size).toBe(1);
      expect(new Set(turns.map((t) => t.writer)).size).toBe(1);
      turns.forEach((t, i) => {
        expect(t.turn).toBe(i + 1);
        // The writer kept the conversation's memory (sticky), …
        expect(t.writerDrafts).toBe(i + 1);
        // … and its own lookup reached the planner replica that holds the conversation.
        expect(t.plannerSeenByWriter).toBe(t.planner);
        expect(t.plannerTurnsSeenByWriter).toBe(i + 1);
      });
    }
    // Each replica only remembers the conversations it served.
    for (const planner of system.planners) {
      for (const id of planner.conversations.keys()) expect(transcripts.find((t) => t[0]!.conversationId === id)![0]!.planner).toBe(planner.replica);
    }
  });

  it('moves a conversation to the other writer when its writer drains, without failing a turn', async () => {
    system = await startAgentSystem();
    const first = await system.turn('moving', 'turn 1');
    const second = await system.turn('moving', 'turn 2');
    expect(second.writer).toBe(first.writer);
    await system.writers.find((w) => w.replica === first.writer)!.close();
    const third = await system.turn('moving', 'turn 3');
    expect(third.writer).not.toBe(first.writer);
    // A new replica: it has not seen the earlier drafts (memory lives in the replica).
    expect(third.writerDrafts).toBe(1);
    expect(third.planner).toBe(first.planner);
    expect(third.plannerTurnsSeenByWriter).toBe(3);
  });
});
