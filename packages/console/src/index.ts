// Public surface of @dalston/console.
export type { ConsoleAuth } from './auth.js';
export { type ConsoleOptions, dalstonConsole } from './router.js';
