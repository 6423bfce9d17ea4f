/** EventBus rules: what `publish` routes by (tenant id, job id or null) and a subscription's topic. */
import type { EventBus } from '../../ports/event-bus.js';
import { array, nonEmptyString, object } from '../argument-checks.js';
import { argumentError, type PortRules } from '../guard-port.js';

function checkRoutable(events: unknown): void {
  array(events, 'events', 'events');
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    object(e, `events[${i}]`, 'an event');
    nonEmptyString(e.tenantId, `events[${i}].tenantId`);
    if (e.jobId !== null && (typeof e.jobId !== 'string' || e.jobId.length === 0)) {
      throw argumentError(`events[${i}].jobId`, 'must be a non-empty string or null');
    }
  }
}

export const eventBusRules: PortRules<EventBus> = {
  publish: { check: ([events]) => checkRoutable(events) },
  subscribe: {
    check: ([topic, handler]) => {
      object(topic, 'topic', 'a topic { tenantId, jobId? }');
      nonEmptyString(topic.tenantId, 'topic.tenantId');
      if (topic.jobId !== undefined) nonEmptyString(topic.jobId, 'topic.jobId');
      if (typeof handler !== 'function') throw argumentError('handler', 'must be a function');
    },
  },
  ping: {},
  close: {},
};
