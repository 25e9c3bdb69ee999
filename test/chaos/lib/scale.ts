/**
 * How long the chaos suite runs. CI uses the default (1: every scenario bounded, the whole
 * project under about 4 minutes); `WAYFINDER_CHAOS_SCALE=10 pnpm test:chaos` runs ten times
 * longer (durations and counts) on a developer machine.
 */
export const CHAOS_SCALE = Math.max(1, Number(process.env.WAYFINDER_CHAOS_SCALE ?? 1) || 1);

/** `n` multiplied by the scale, rounded. */
export const scaled = (n: number): number => Math.round(n * CHAOS_SCALE);

/** The seed of every random choice of the suite (`WAYFINDER_CHAOS_SEED` to replay another). */
export const CHAOS_SEED = Number(process.env.WAYFINDER_CHAOS_SEED ?? 20_261_127) >>> 0;
