import { adapterSchemes } from '@wayfinder/adapters';
import { coreSchemes, type SchemeMap } from '@wayfinder/core';

/** Every scheme the CLI understands. */
export const cliSchemes: SchemeMap = Object.freeze({ ...coreSchemes, ...adapterSchemes });
