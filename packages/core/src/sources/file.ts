import { watch as watchFs, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { type Endpoint, parseEndpoint } from '../endpoint.js';
import { InvalidEndpointError, InvalidTargetError, SourceError, WayfinderError } from '../errors.js';
import type { ListResult, Source, SourceContext, WatchEvent } from '../source.js';
import type { SourceFactory } from '../target.js';

/** Files larger than this are refused (a registry file is small; a huge one is a mistake). */
export const MAX_ENDPOINTS_FILE_BYTES = 16 * 1024 * 1024;

const fileSchema = z.union([
  z.array(z.unknown()),
  z.object({ revision: z.union([z.string(), z.number()]).optional(), endpoints: z.array(z.unknown()) }),
]);

/**
 * `file:///abs/endpoints.json` or `file:./relative.json`: a JSON file holding either an array of
 * endpoints or `{ "revision"?: string, "endpoints": [...] }`. Re-read when it changes (watching
 * its folder, so editors that replace the file are seen). An invalid file is reported as an
 * error and the last good set stays.
 */
export function fileSource(file: string, label = `file://${file}`): Source {
  const absolute = path.resolve(file);
  const read = async (signal?: AbortSignal): Promise<ListResult> => {
    signal?.throwIfAborted();
    let text: string;
    try {
      const info = await stat(absolute);
      if (info.size > MAX_ENDPOINTS_FILE_BYTES) throw new SourceError(label, `${absolute} is ${info.size} bytes, over the ${MAX_ENDPOINTS_FILE_BYTES}-byte limit`);
      text = await readFile(absolute, { encoding: 'utf8', ...(signal ? { signal } : {}) });
    } catch (error) {
      if (error instanceof WayfinderError || signal?.aborted) throw error;
      throw new SourceError(label, `cannot read ${absolute}: ${(error as Error).message}`, { cause: error });
    }
    return { ...parseEndpointsFile(text, absolute, label), refreshAfterMs: Number.POSITIVE_INFINITY };
  };
  return {
    describe: () => label,
    list: (context) => read(context.signal),
    watch(_cursor: string | undefined, context: SourceContext): AsyncIterable<WatchEvent> {
      return watchFile(absolute, read, context);
    },
  };
}

async function* watchFile(absolute: string, read: (signal?: AbortSignal) => Promise<ListResult>, context: SourceContext): AsyncIterable<WatchEvent> {
  const name = path.basename(absolute);
  const events = watchFs(path.dirname(absolute), { signal: context.signal, persistent: false });
  try {
    for await (const change of events) {
      if (change.filename !== null && change.filename !== name) continue;
      try {
        const listed = await read(context.signal);
        yield { type: 'snapshot', endpoints: listed.endpoints, ...(listed.revision ? { revision: listed.revision } : {}) };
      } catch (error) {
        // A file caught mid-write or made invalid: report it, keep the last good set, keep watching.
        yield { type: 'error', error: error as WayfinderError };
      }
    }
  } catch (error) {
    if (context.signal.aborted) return;
    throw error;
  }
}

/** Parses the text of an endpoints file. Throws {@link InvalidEndpointError} naming file and field. */
export function parseEndpointsFile(text: string, file: string, label = file): { endpoints: Endpoint[]; revision?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidEndpointError(`${label}: ${file} is not valid JSON (${(error as Error).message})`, '', { cause: error });
  }
  const shape = fileSchema.safeParse(json);
  if (!shape.success) throw new InvalidEndpointError(`${label}: ${file} must hold an array of endpoints or { "endpoints": [...] }`, '');
  const items = Array.isArray(shape.data) ? shape.data : shape.data.endpoints;
  const revision = Array.isArray(shape.data) ? undefined : shape.data.revision;
  const endpoints = items.map((item, i) => {
    try {
      return parseEndpoint(item, `endpoints[${i}]`);
    } catch (error) {
      throw new InvalidEndpointError(`${label}: ${(error as Error).message}`, (error as InvalidEndpointError).path, { cause: error });
    }
  });
  const ids = new Set<string>();
  for (const e of endpoints) {
    if (ids.has(e.id)) throw new InvalidEndpointError(`${label}: duplicate endpoint id "${e.id}"`, 'id');
    ids.add(e.id);
  }
  return { endpoints, ...(revision !== undefined ? { revision: String(revision) } : {}) };
}

export const fileSourceFactory: SourceFactory = (target) => {
  if (target.authority !== '' && target.authority !== 'localhost') {
    throw new InvalidTargetError(target.raw, `file targets take no host ("${target.authority}"); use file:///abs/path.json or file:./relative.json`);
  }
  if (target.path === '') throw new InvalidTargetError(target.raw, 'missing file path (file:///abs/path.json or file:./relative.json)');
  let file: string;
  try {
    file = decodeURIComponent(target.path);
  } catch {
    throw new InvalidTargetError(target.raw, 'the path is not valid percent-encoding');
  }
  return fileSource(file, target.raw);
};
