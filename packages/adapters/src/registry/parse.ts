import { type Endpoint, parseEndpoint } from '@wayfinder/core';
import { RegistryResponseError } from './errors.js';
import { errorBodySchema, serviceSnapshotSchema } from './schema.js';

/**
 * Parses a snapshot (a GET body or an SSE `snapshot` event's data) for `service`. All or
 * nothing: one bad endpoint or a duplicate id fails the whole snapshot with a
 * {@link RegistryResponseError}, so a partial set is never applied.
 */
export function parseServiceSnapshot(text: string, service: string, label: string, maxBytes: number): { endpoints: Endpoint[]; revision: string } {
  if (Buffer.byteLength(text) > maxBytes) throw new RegistryResponseError(label, `snapshot is over the ${maxBytes}-byte limit`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RegistryResponseError(label, `snapshot is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const shape = serviceSnapshotSchema.safeParse(json);
  if (!shape.success) {
    const issue = shape.error.issues[0]!;
    throw new RegistryResponseError(label, `snapshot violates the protocol schema at ${issue.path.join('.') || '(root)'}: ${issue.message}`, { cause: shape.error });
  }
  if (shape.data.service !== service) throw new RegistryResponseError(label, `snapshot is for service "${shape.data.service}", not "${service}"`);
  const endpoints = shape.data.endpoints.map((e, i) => {
    try {
      return parseEndpoint(e, `endpoints[${i}]`);
    } catch (error) {
      throw new RegistryResponseError(label, (error as Error).message, { cause: error });
    }
  });
  const ids = new Set<string>();
  for (const e of endpoints) {
    if (ids.has(e.id)) throw new RegistryResponseError(label, `snapshot has a duplicate endpoint id "${e.id}"`);
    ids.add(e.id);
  }
  return { endpoints, revision: shape.data.revision };
}

/** The message of a protocol error body, or undefined when the text is not one. */
export function errorBodyMessage(text: string): string | undefined {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? `${parsed.data.error.code}: ${parsed.data.error.message}` : undefined;
  } catch {
    return undefined;
  }
}
