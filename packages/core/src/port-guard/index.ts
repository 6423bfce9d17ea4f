/**
 * The port boundary: one guard per port, applied once by `createDalston` (every port of
 * the adapter set) and by the contract suite (every port a factory returns). Adapters
 * behind it trust their arguments (see docs/architecture.md, "The port boundary").
 *
 * Adding a port method: add its entry to the port's rules in `rules/` (the `PortRules`
 * type lists every method of the port, so the build fails until the entry exists):
 * `{ check: ([a, b]) => { pageLimit(b); ... } }` with the shared checks of
 * `argument-checks.ts`, or `{}` when nothing needs checking (reads by id).
 */
import type { StoreName } from '../domain/errors.js';
import type { DalstonAdapters, PortName } from '../services/wiring/adapters.js';
import { PORT_NAMES } from '../services/wiring/adapters.js';
import { guardPort, type PortRules } from './guard-port.js';
import { apiKeyStoreRules, sessionArchiveRules, tenantStoreRules } from './rules/access-stores.js';
import { artifactStoreRules } from './rules/artifact-store.js';
import { eventBusRules } from './rules/event-bus.js';
import { jobStoreRules } from './rules/job-store.js';
import { rateLimitStoreRules } from './rules/rate-limit-store.js';
import { sessionStoreRules } from './rules/session-store.js';
import { workQueueRules } from './rules/work-queue.js';

export { argumentError, guardPort, isGuarded, type MethodRule, type PortRules } from './guard-port.js';

/** Every port's rules, by port name. */
export const PORT_RULES: { readonly [N in PortName]: PortRules<DalstonAdapters[N]> } = {
  jobStore: jobStoreRules,
  tenantStore: tenantStoreRules,
  apiKeyStore: apiKeyStoreRules,
  sessionArchive: sessionArchiveRules,
  workQueue: workQueueRules,
  sessionStore: sessionStoreRules,
  rateLimitStore: rateLimitStoreRules,
  eventBus: eventBusRules,
  artifactStore: artifactStoreRules,
};

/** `port` behind the guard for port `name` (once: a guarded port is returned as is). */
export function guardPortNamed<N extends PortName>(name: N, port: DalstonAdapters[N]): DalstonAdapters[N] {
  return guardPort(name satisfies StoreName, port, PORT_RULES[name] as PortRules<DalstonAdapters[N]>);
}

/** The adapter set with every port behind its guard (the clock as it is). */
export function guardAdapters(adapters: DalstonAdapters): DalstonAdapters {
  const out = { ...adapters };
  for (const name of PORT_NAMES)
    (out as Record<PortName, unknown>)[name] = guardPortNamed(name, adapters[name]);
  return out;
}
