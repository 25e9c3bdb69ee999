/** `@wayfinder/cli`: the `wayfinder` command, also callable in-process. */
export { main, USAGE } from './main.js';
export type { CliIO, Command } from './io.js';
export { UsageError } from './io.js';
