import { adapterSchemes } from '@wayfinder/adapters';
import { coreSchemes } from '@wayfinder/core';
import { describe } from 'vitest';
import { bindBinaries, startBind } from '../harness/bind.js';
import { describeSourceContract } from '../harness/source-contract.js';

const schemes = { ...coreSchemes, ...adapterSchemes };
const NAME = '_http._tcp.contract.svc.test.';

describe.skipIf(bindBinaries() === undefined)('dns-srv source contract', () => {
  describeSourceContract('dns-srv://', async () => {
    const bind = await startBind({ records: ['a IN A 127.0.0.1', `_http._tcp.contract 1 IN SRV 0 1 9100 a`] });
    return {
      target: `dns-srv://${bind.server}/${NAME}?timeoutMs=500`,
      schemes,
      initialPort: 9100,
      add: (port) => bind.update(`update add ${NAME} 1 SRV 0 1 ${port} a.svc.test.`),
      remove: (port) => bind.update(`update delete ${NAME} SRV 0 1 ${port} a.svc.test.`),
      break: () => bind.stop(),
      restore: () => bind.restart(),
      close: () => bind.close(),
      changeWithinMs: 15_000,
    };
  });
});
