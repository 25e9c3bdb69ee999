import type { Clock } from './clock.js';
import { InvalidTargetError } from './errors.js';
import type { Random } from './random.js';
import type { Source } from './source.js';

/**
 * A target is a URI naming a service in a registry; its scheme picks the source:
 * `static://10.0.0.1:80,10.0.0.2:80`, `file:///etc/endpoints.json`, `dns-srv://…`, `k8s://…`.
 *
 * The generic form is `scheme://authority/path?query`; each scheme's factory interprets the
 * authority and path and throws {@link InvalidTargetError} naming what is wrong.
 */
export interface ParsedTarget {
  /** The target exactly as given. */
  readonly raw: string;
  /** Lower-cased scheme without `:` (`static`, `dns-srv`, `registry+http`). */
  readonly scheme: string;
  /** Between `//` and the next `/` (may be empty). For `file:./x.json`, empty. */
  readonly authority: string;
  /** From the first `/` after the authority, before `?`; for `file:./x.json`, `./x.json`. */
  readonly path: string;
  readonly query: URLSearchParams;
}

const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s;

/** Splits a target into its parts. Throws {@link InvalidTargetError} when it is not a URI. */
export function parseTarget(target: string): ParsedTarget {
  if (typeof target !== 'string' || target.length === 0) throw new InvalidTargetError(String(target), 'a target must be a non-empty string');
  if (/\s/.test(target)) throw new InvalidTargetError(target, 'a target must not contain whitespace');
  const m = SCHEME_RE.exec(target);
  if (!m) throw new InvalidTargetError(target, 'expected a URI such as static://127.0.0.1:8080 (no scheme found)');
  const scheme = m[1]!.toLowerCase();
  let rest = m[2]!;
  let queryText = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    queryText = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let authority = '';
  let path = rest;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    path = slash < 0 ? '' : rest.slice(slash);
  }
  return Object.freeze({ raw: target, scheme, authority, path, query: new URLSearchParams(queryText) });
}

/** What a scheme's factory receives besides the parsed target. */
export interface SourceFactoryContext {
  readonly clock: Clock;
  readonly random: Random;
  /** Environment (defaults to `process.env`), for kubeconfig paths, tokens and the like. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Creates the source for one parsed target. Throws {@link InvalidTargetError} for a bad target. */
export type SourceFactory = (target: ParsedTarget, context: SourceFactoryContext) => Source;

/**
 * Scheme name → factory. Passed explicitly to resolvers and clients (no global registry):
 * `{ ...coreSchemes, ...adapterSchemes() }`.
 */
export type SchemeMap = Readonly<Record<string, SourceFactory>>;
