import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * Reads kubeconfig files as kubectl does (https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/):
 * `KUBECONFIG` may list several files (joined with `:`); the first file that sets
 * `current-context` wins, and the first cluster, context or user of a name wins. Relative file
 * references are resolved against the file that holds them.
 *
 * kubectl writes kubeconfigs as YAML (block style, quoted and unquoted scalars, long base64
 * strings), so a real YAML parser (`yaml`) reads them rather than a hand-written subset.
 */

const clusterSchema = z
  .object({
    server: z.string().optional(),
    'certificate-authority': z.string().optional(),
    'certificate-authority-data': z.string().optional(),
    'insecure-skip-tls-verify': z.boolean().optional(),
    'tls-server-name': z.string().optional(),
  })
  .passthrough();
const userSchema = z
  .object({
    token: z.string().optional(),
    tokenFile: z.string().optional(),
    'client-certificate': z.string().optional(),
    'client-certificate-data': z.string().optional(),
    'client-key': z.string().optional(),
    'client-key-data': z.string().optional(),
    exec: z.unknown().optional(),
    'auth-provider': z.unknown().optional(),
    username: z.string().optional(),
  })
  .passthrough();
const contextSchema = z.object({ cluster: z.string(), user: z.string().optional(), namespace: z.string().optional() }).passthrough();

const fileSchema = z
  .object({
    'current-context': z.string().nullish(),
    clusters: z.array(z.object({ name: z.string(), cluster: clusterSchema })).nullish(),
    users: z.array(z.object({ name: z.string(), user: userSchema.nullish() })).nullish(),
    contexts: z.array(z.object({ name: z.string(), context: contextSchema })).nullish(),
  })
  .passthrough();

export type KubeconfigCluster = z.infer<typeof clusterSchema> & { readonly dir: string };
export type KubeconfigUser = z.infer<typeof userSchema> & { readonly dir: string };

/** The parts of a kubeconfig that one context selects. */
export interface KubeconfigSelection {
  readonly files: readonly string[];
  readonly contextName: string;
  readonly clusterName: string;
  readonly cluster: KubeconfigCluster;
  readonly userName: string | undefined;
  readonly user: KubeconfigUser | undefined;
  readonly namespace: string | undefined;
}

/** A kubeconfig that cannot be used; the message names the file and the field. */
export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

/** Parses the text of one kubeconfig file. Throws {@link KubeconfigError} naming the file. */
export function parseKubeconfig(text: string, file: string): z.infer<typeof fileSchema> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new KubeconfigError(`${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = fileSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new KubeconfigError(`${file}: ${issue.path.join('.') || 'document'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Loads the files (missing ones are skipped, as kubectl does) and selects `context` or the
 * current context. Returns undefined when none of the files exists.
 */
export async function loadKubeconfig(files: readonly string[], context?: string): Promise<KubeconfigSelection | undefined> {
  const docs: { file: string; doc: z.infer<typeof fileSchema> }[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new KubeconfigError(`cannot read kubeconfig ${file}: ${(error as Error).message}`);
    }
    docs.push({ file, doc: parseKubeconfig(text, file) });
  }
  if (docs.length === 0) return undefined;
  const present = docs.map((d) => d.file);
  const contextName = context ?? docs.find((d) => d.doc['current-context'])?.doc['current-context'] ?? undefined;
  if (!contextName) throw new KubeconfigError(`no current-context in ${present.join(', ')} (set one with kubectl config use-context, or add ?context=NAME to the target)`);
  const first = <T>(pick: (doc: z.infer<typeof fileSchema>) => T | undefined): { value: T; file: string } | undefined => {
    for (const d of docs) {
      const value = pick(d.doc);
      if (value !== undefined) return { value, file: d.file };
    }
    return undefined;
  };
  const ctx = first((d) => d.contexts?.find((c) => c.name === contextName)?.context);
  if (!ctx) throw new KubeconfigError(`context "${contextName}" not found in ${present.join(', ')}`);
  const clusterName = ctx.value.cluster;
  const cluster = first((d) => d.clusters?.find((c) => c.name === clusterName)?.cluster);
  if (!cluster) throw new KubeconfigError(`cluster "${clusterName}" of context "${contextName}" not found in ${present.join(', ')}`);
  if (!cluster.value.server) throw new KubeconfigError(`cluster "${clusterName}" in ${cluster.file} has no server`);
  const userName = ctx.value.user;
  const user = userName === undefined ? undefined : first((d) => d.users?.find((u) => u.name === userName)?.user ?? undefined);
  return {
    files: present,
    contextName,
    clusterName,
    cluster: { ...cluster.value, dir: path.dirname(cluster.file) },
    userName,
    user: user ? { ...user.value, dir: path.dirname(user.file) } : undefined,
    namespace: ctx.value.namespace || undefined,
  };
}

/** The kubeconfig files to read: `KUBECONFIG` (a `:`-separated list), else `~/.kube/config`. */
export function kubeconfigPaths(env: Readonly<Record<string, string | undefined>>, explicit?: string): string[] {
  if (explicit) return [explicit];
  const list = env.KUBECONFIG?.split(path.delimiter).filter((p) => p !== '');
  if (list && list.length > 0) return list;
  const home = env.HOME ?? env.USERPROFILE;
  return home ? [path.join(home, '.kube', 'config')] : [];
}
