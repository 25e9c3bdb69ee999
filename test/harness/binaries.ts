import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * Finds a server binary the integration tests need (named, etcd, nsupdate, kubectl).
 * - Found: its absolute path.
 * - Missing under CI (`CI=true`): throws, so the test fails and never skips silently.
 * - Missing on a developer machine: undefined, and the caller skips with a visible reason
 *   (`scripts/test-all.sh` installs everything, so the full command never takes this path).
 */
export function findBinary(name: string, extraDirs: string[] = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/sbin']): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  if (process.env.CI === 'true' || process.env.WAYFINDER_REQUIRE_SERVERS === '1') {
    throw new Error(`${name} is not installed: integration tests need it (scripts/install-services.sh installs it)`);
  }
  return undefined;
}
