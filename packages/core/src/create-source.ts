import { systemClock, type Clock } from './clock.js';
import { InvalidTargetError } from './errors.js';
import type { Random } from './random.js';
import type { Source } from './source.js';
import { fileSourceFactory } from './sources/file.js';
import { staticSourceFactory } from './sources/static.js';
import { parseTarget, type SchemeMap } from './target.js';

/** The schemes built into core: `static` and `file`. Adapters add theirs (`@wayfinder/adapters`). */
export const coreSchemes: SchemeMap = Object.freeze({
  static: staticSourceFactory,
  file: fileSourceFactory,
});

export interface CreateSourceOptions {
  /** Defaults to {@link coreSchemes}. */
  schemes?: SchemeMap;
  clock?: Clock;
  random?: Random;
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Parses `target` and creates its source with the factory of its scheme. Throws
 * {@link InvalidTargetError} (code `WF_ERR_UNSUPPORTED_SCHEME` for an unknown scheme).
 */
export function createSource(target: string, options: CreateSourceOptions = {}): Source {
  const parsed = parseTarget(target);
  const schemes = options.schemes ?? coreSchemes;
  const factory = Object.hasOwn(schemes, parsed.scheme) ? schemes[parsed.scheme] : undefined;
  if (!factory) {
    const known = Object.keys(schemes).sort().join(', ');
    throw new InvalidTargetError(target, `unsupported scheme "${parsed.scheme}" (known: ${known})`, { code: 'WF_ERR_UNSUPPORTED_SCHEME' });
  }
  return factory(parsed, { clock: options.clock ?? systemClock, random: options.random ?? Math.random, env: options.env ?? process.env });
}
