import type { SchemeMap } from '@wayfinder/core';

/** Schemes served by this adapter (filled in by its issue). */
export const registrySchemes: SchemeMap = {};
