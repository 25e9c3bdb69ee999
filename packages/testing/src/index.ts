export {};
export * from './registry/index.js';
