/**
 * `pnpm bench [name…]`: runs every `bench/*.bench.ts` (or the named ones) one after another,
 * each in its own process (`--expose-gc` for heap figures), and lists the result files.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const result = spawnSync(
    process.execPath,
    ['--expose-gc', '--conditions=@wayfinder/source', '--import', 'tsx', path.join(dir, file)],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) failed++;
}
console.log(`\n${files.length - failed} benchmark(s) done, ${failed} failed; results in bench/results/`);
process.exitCode = failed ? 1 : 0;
