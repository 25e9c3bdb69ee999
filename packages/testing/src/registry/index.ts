export { createRegistryHandlers, type RegistryHandlers, type RegistryHandlersOptions } from './handlers.js';
