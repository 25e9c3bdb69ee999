import axios, { type AxiosInstance } from 'axios';
import { adapterSchemes } from '@wayfinder/adapters';
import { leastRequest } from '@wayfinder/balancer';
import { coreSchemes, createClient, type ClientOptions, type WayfinderClient } from '@wayfinder/core';
import { withWayfinder } from '@wayfinder/core/axios';

export interface ToolsApiOptions {
  /** Where the tools service lives, e.g. `dns-srv:///_http._tcp.tools.default.svc.cluster.local`. */
  target: string;
  schemes?: ClientOptions['schemes'];
}

export interface ToolResult {
  tool: string;
  output: string;
  servedBy: string;
}

export interface ToolsApi {
  /** The axios instance: `baseURL` is the logical `http://tools`, Wayfinder picks the endpoint. */
  readonly http: AxiosInstance;
  run(tool: string, input: string): Promise<ToolResult>;
  close(): Promise<void>;
}

/**
 * axios over DNS SRV: an ordinary axios instance whose requests go through a Wayfinder client
 * (`withWayfinder`), so each request is sent to an endpoint read from the SRV records (refreshed
 * by their TTL), picked by least request, and retried on another endpoint when it is safe.
 * axios' behaviour is unchanged: a 404 rejects with an `AxiosError` carrying `response`.
 */
export function createToolsApi(options: ToolsApiOptions): ToolsApi {
  const client: WayfinderClient = createClient({
    services: { tools: options.target },
    schemes: options.schemes ?? { ...coreSchemes, ...adapterSchemes },
    balancer: leastRequest(),
  });
  const http = withWayfinder(axios.create({ baseURL: 'http://tools', timeout: 10_000 }), client);
  return {
    http,
    async run(tool, input) {
      const { data } = await http.get<ToolResult>(`/v1/tools/${encodeURIComponent(tool)}`, { params: { input } });
      return data;
    },
    close: () => client.close(),
  };
}
