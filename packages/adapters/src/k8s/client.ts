import { Pool } from 'undici';
import type { ClusterConfig } from './config.js';

/** A response whose body the caller reads (and must consume or destroy). */
export interface K8sResponse {
  readonly statusCode: number;
  readonly body: AsyncIterable<Buffer> & { text(): Promise<string>; json(): Promise<unknown>; destroy(error?: Error): void };
}

export interface K8sRequestOptions {
  readonly signal: AbortSignal;
  /** Longest silence between two body chunks (undici's default is 300 s). */
  readonly bodyTimeoutMs: number;
  readonly headersTimeoutMs?: number;
}

/** GET requests to one API server over one undici pool (TLS and credentials of the config). */
export interface K8sHttp {
  get(pathAndQuery: string, options: K8sRequestOptions): Promise<K8sResponse>;
  close(): Promise<void>;
}

const USER_AGENT = 'wayfinder-k8s/0.1';

/** Opens a pool to `config.server`. Never sends a token over plain http (checked by the caller first). */
export function createK8sHttp(config: ClusterConfig): K8sHttp {
  const https = config.server.protocol === 'https:';
  const pool = new Pool(config.server.origin, {
    connections: 4,
    ...(https
      ? {
          connect: {
            ...(config.ca ? { ca: config.ca } : {}),
            ...(config.cert ? { cert: config.cert } : {}),
            ...(config.key ? { key: config.key } : {}),
            rejectUnauthorized: !config.insecureSkipTlsVerify,
            ...(config.tlsServerName ? { servername: config.tlsServerName } : {}),
          },
        }
      : {}),
  });
  const prefix = config.server.pathname.replace(/\/+$/, '');
  return {
    async get(pathAndQuery, options) {
      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT };
      const token = https ? await config.token?.() : undefined;
      if (token) headers.authorization = `Bearer ${token}`;
      const response = await pool.request({
        method: 'GET',
        path: prefix + pathAndQuery,
        headers,
        signal: options.signal,
        bodyTimeout: options.bodyTimeoutMs,
        headersTimeout: options.headersTimeoutMs ?? 30_000,
      });
      return { statusCode: response.statusCode, body: response.body as unknown as K8sResponse['body'] };
    },
    async close() {
      await pool.destroy();
    },
  };
}
