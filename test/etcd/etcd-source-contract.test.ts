import { adapterSchemes } from '@wayfinder/adapters';
import { coreSchemes } from '@wayfinder/core';
import { describe } from 'vitest';
import { ETCD_BINARY, startEtcd } from '../harness/etcd.js';
import { describeSourceContract } from '../harness/source-contract.js';

const schemes = { ...coreSchemes, ...adapterSchemes };

describe.skipIf(ETCD_BINARY === undefined)('etcd source contract', () => {
  describeSourceContract('etcd://', async () => {
    const etcd = await startEtcd();
    const prefix = 'services/contract/';
    const put = (port: number) => etcd.put(`${prefix}${port}`, { address: '127.0.0.1', port });
    await put(9100);
    return {
      target: `etcd://${etcd.hostPort}/${prefix}`,
      schemes,
      initialPort: 9100,
      add: async (port) => void (await put(port)),
      remove: async (port) => void (await etcd.del(`${prefix}${port}`)),
      break: () => etcd.kill(),
      restore: () => etcd.restart(),
      close: () => etcd.stop(),
    };
  });
});
