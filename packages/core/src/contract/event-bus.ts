/**
 * EventBus contract: tenant and job topics, publish order per publisher, unsubscribe,
 * copies, and handler errors that never break other subscribers. Delivery is async on
 * every adapter: each test waits for what it expects, then lets a little time pass
 * before asserting that something did NOT arrive.
 */
import { describe, expect, it } from 'vitest';
import type { DalstonEvent } from '../domain/events.js';
import type { EventBus, EventTopic } from '../ports/event-bus.js';
import { newTenantId } from './builders.js';
import { guardedFactory, type PortFactory } from './fixture.js';
import { eventually, randomName, withFixture } from './harness.js';
import { portLifecycleContract } from './lifecycle.js';

let nextId = 1;

/** A `task.progress` event of `tenantId` (and `jobId`, or none). */
export function busEvent(tenantId: string, jobId: string | null, n: number): DalstonEvent {
  return {
    id: nextId++,
    type: 'task.progress',
    tenantId,
    jobId,
    taskId: null,
    sessionId: null,
    payload: { n, nested: { list: [n] } },
    correlationId: null,
    at: Date.UTC(2026, 0, 1) + n,
  };
}

/** Subscribes and collects what arrives. */
async function collect(bus: EventBus, topic: EventTopic) {
  const received: DalstonEvent[] = [];
  const subscription = await bus.subscribe(topic, (e) => {
    received.push(e);
  });
  return { received, subscription, ns: () => received.map((e) => e.payload.n) };
}

/** Time allowed for an event that should not arrive to show up anyway. */
const QUIET_MS = 100;

export function eventBusContract(name: string, unguarded: PortFactory<EventBus>): void {
  // The port behind core's guard, as createDalston uses it: the checks tested are core's.
  const factory = guardedFactory('eventBus', unguarded);
  portLifecycleContract(
    name,
    'eventBus',
    factory,
    {
      operation: 'publish',
      call: (b) => b.publish([busEvent(newTenantId(), null, 1)]),
    },
    { operation: 'subscribe', call: (b) => b.subscribe({ tenantId: newTenantId() }, () => {}) },
  );
  const test = (title: string, body: Parameters<typeof withFixture<EventBus>>[1]) =>
    it(title, () => withFixture(factory, body));

  describe(`${name}: EventBus`, () => {
    test('the tenant topic gets every event of the tenant; a job topic only that job’s', async ({
      port,
      time,
    }) => {
      const [tenant, jobA, jobB] = [randomName('t'), randomName('job'), randomName('job')];
      const all = await collect(port, { tenantId: tenant });
      const onlyA = await collect(port, { tenantId: tenant, jobId: jobA });
      const otherTenant = await collect(port, { tenantId: randomName('t') });
      const sameJobIdOtherTenant = await collect(port, { tenantId: randomName('t'), jobId: jobA });
      const events = [busEvent(tenant, jobA, 1), busEvent(tenant, jobB, 2), busEvent(tenant, null, 3)];
      await port.publish(events);
      await eventually(time, () => expect(all.received).toEqual(events));
      await eventually(time, () => expect(onlyA.received).toEqual([events[0]]));
      await time.advance(QUIET_MS);
      expect(all.received).toHaveLength(3);
      expect(onlyA.received).toHaveLength(1);
      expect(otherTenant.received).toEqual([]);
      expect(sameJobIdOtherTenant.received).toEqual([]);
    });

    test('events arrive in publish order, across batches and single publishes', async ({ port, time }) => {
      const [tenant, job] = [randomName('t'), randomName('job')];
      const all = await collect(port, { tenantId: tenant });
      const jobOnly = await collect(port, { tenantId: tenant, jobId: job });
      await port.publish([1, 2, 3].map((n) => busEvent(tenant, job, n)));
      for (let n = 4; n <= 40; n++) await port.publish([busEvent(tenant, job, n)]);
      await port.publish([41, 42].map((n) => busEvent(tenant, job, n)));
      const expected = Array.from({ length: 42 }, (_, i) => i + 1);
      await eventually(time, () => expect(all.ns()).toEqual(expected));
      await eventually(time, () => expect(jobOnly.ns()).toEqual(expected));
    });

    test('several subscribers on one topic each get every event', async ({ port, time }) => {
      const tenant = randomName('t');
      const subs = await Promise.all([1, 2, 3].map(() => collect(port, { tenantId: tenant })));
      await port.publish([busEvent(tenant, null, 1), busEvent(tenant, null, 2)]);
      for (const s of subs) await eventually(time, () => expect(s.ns()).toEqual([1, 2]));
    });

    test('unsubscribe stops delivery and is idempotent', async ({ port, time }) => {
      const tenant = randomName('t');
      const leaving = await collect(port, { tenantId: tenant });
      const staying = await collect(port, { tenantId: tenant });
      await port.publish([busEvent(tenant, null, 1)]);
      await eventually(time, () => expect(leaving.ns()).toEqual([1]));
      await leaving.subscription.unsubscribe();
      await leaving.subscription.unsubscribe();
      await port.publish([busEvent(tenant, null, 2)]);
      await eventually(time, () => expect(staying.ns()).toEqual([1, 2]));
      await time.advance(QUIET_MS);
      expect(leaving.ns()).toEqual([1]);
    });

    test('a subscriber that throws does not stop the others or later events', async ({ port, time }) => {
      const tenant = randomName('t');
      let calls = 0;
      await port.subscribe({ tenantId: tenant }, () => {
        calls++;
        throw new Error('handler failure');
      });
      const healthy = await collect(port, { tenantId: tenant });
      await port.publish([busEvent(tenant, null, 1), busEvent(tenant, null, 2)]);
      await port.publish([busEvent(tenant, null, 3)]);
      await eventually(time, () => expect(healthy.ns()).toEqual([1, 2, 3]));
      await eventually(time, () => expect(calls).toBe(3));
    });

    test('each subscriber gets its own copy of the event', async ({ port, time }) => {
      const tenant = randomName('t');
      const mutator = await port.subscribe({ tenantId: tenant }, (e) => {
        (e.payload as { n: number }).n = -1;
      });
      const reader = await collect(port, { tenantId: tenant });
      const event = busEvent(tenant, null, 7);
      await port.publish([event]);
      await eventually(time, () => expect(reader.ns()).toEqual([7]));
      expect(event.payload.n).toBe(7);
      await mutator.unsubscribe();
    });

    test('a subscription sees only what is published after it', async ({ port, time }) => {
      const tenant = randomName('t');
      const early = await collect(port, { tenantId: tenant });
      await port.publish([busEvent(tenant, null, 1)]);
      await eventually(time, () => expect(early.ns()).toEqual([1]));
      const late = await collect(port, { tenantId: tenant });
      await port.publish([busEvent(tenant, null, 2)]);
      await eventually(time, () => expect(late.ns()).toEqual([2]));
    });

    test('publishing an empty batch or to a topic nobody listens to is fine', async ({ port }) => {
      await expect(port.publish([])).resolves.toBeUndefined();
      await expect(port.publish([busEvent(randomName('t'), null, 1)])).resolves.toBeUndefined();
      await expect(port.ping()).resolves.toBeUndefined();
    });
  });
}
