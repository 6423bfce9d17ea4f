import { describe, expect, it } from 'vitest';
import { breakable, harness, until } from './harness.js';

const one = { build: () => [{ stage: 'a', queue: 'q' }] };

describe('artifacts', () => {
  it('writes outputs, reads ranges, hides other tenants, refuses presign without the capability', async () => {
    const h = await harness({ pipeline: one });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    const put = (
      await h.dalston.artifacts.put(h.tenantId, job.id, 'report.txt', 'hello world')
    )._unsafeUnwrap();
    expect(put.key).toBe(`tenants/${h.tenantId}/jobs/${job.id}/output/report.txt`);
    const obj = (await h.dalston.artifacts.get(h.tenantId, put.uri, { range: { start: 6 } }))._unsafeUnwrap();
    const chunks: Buffer[] = [];
    for await (const c of obj.body) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).toString()).toBe('world');
    expect((await h.dalston.artifacts.get('other', put.uri))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
    expect((await h.dalston.artifacts.get(h.tenantId, 's3://elsewhere/x'))._unsafeUnwrapErr().code).toBe(
      'NOT_FOUND',
    );
    expect((await h.dalston.artifacts.put('other', job.id, 'x.txt', 'x'))._unsafeUnwrapErr().code).toBe(
      'NOT_FOUND',
    );
    const presign = await h.dalston.artifacts.presignGet(h.tenantId, put.uri, 60);
    if (!h.adapters.artifactStore.capabilities.presign) {
      expect(presign._unsafeUnwrapErr().code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('artifacts.readOutput', () => {
  const body = async (object: { body: AsyncIterable<Uint8Array | string> }) => {
    const chunks: Buffer[] = [];
    for await (const c of object.body) chunks.push(Buffer.from(c));
    return Buffer.concat(chunks).toString();
  };

  it('streams a job output by name when the store cannot presign, scoped to the tenant', async () => {
    const h = await harness({ pipeline: one });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await h.dalston.artifacts.put(h.tenantId, job.id, 'out.json', '{"text":"hi"}');
    const read = (
      await h.dalston.artifacts.readOutput(h.tenantId, job.id, 'out.json', { presignSeconds: 60 })
    )._unsafeUnwrap();
    expect(read.url).toBeUndefined();
    expect(await body(read.object!)).toBe('{"text":"hi"}');
    const other = await h.dalston.artifacts.readOutput('other', job.id, 'out.json');
    expect(other._unsafeUnwrapErr().code).toBe('NOT_FOUND');
    const missing = await h.dalston.artifacts.readOutput(h.tenantId, job.id, 'none.json');
    expect(missing._unsafeUnwrapErr().code).toBe('NOT_FOUND');
    const bad = await h.dalston.artifacts.readOutput(h.tenantId, job.id, 'out.json', { presignSeconds: 0 });
    expect(bad._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'presignSeconds' });
  });

  it('gives a presigned URL when asked and the store can presign, the object otherwise', async () => {
    const h = await harness({
      pipeline: one,
      wrap: (a) => {
        const store = a.artifactStore;
        const presigning = new Proxy(store, {
          get(target, prop) {
            if (prop === 'capabilities') return { ...target.capabilities, presign: true };
            if (prop === 'presignGet')
              return async (key: string, s: number) => `https://signed/${key}?s=${s}`;
            const v = Reflect.get(target, prop, target);
            return typeof v === 'function' ? v.bind(target) : v;
          },
        });
        return { ...a, artifactStore: presigning };
      },
    });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await h.dalston.artifacts.put(h.tenantId, job.id, 'out.json', 'x');
    const signed = await h.dalston.artifacts.readOutput(h.tenantId, job.id, 'out.json', {
      presignSeconds: 30,
    });
    expect(signed._unsafeUnwrap().url).toBe(
      `https://signed/tenants/${h.tenantId}/jobs/${job.id}/output/out.json?s=30`,
    );
    const streamed = (await h.dalston.artifacts.readOutput(h.tenantId, job.id, 'out.json'))._unsafeUnwrap();
    expect(await body(streamed.object!)).toBe('x');
  });
});

describe('maintenance', () => {
  it('relays events that were committed but not published', async () => {
    const bus = { current: null as ReturnType<typeof breakable> | null };
    const h = await harness({
      pipeline: one,
      config: { eventRelayDelayMs: 0 },
      wrap: (a) => {
        bus.current = breakable(a.eventBus, 'eventBus');
        return { ...a, eventBus: bus.current.port as typeof a.eventBus };
      },
    });
    bus.current!.switch.down = true;
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    expect((await h.adapters.jobStore.unpublishedEvents(h.clock.now(), 100)).length).toBeGreaterThan(0);
    const seen: number[] = [];
    bus.current!.switch.down = false;
    await h.adapters.eventBus.subscribe({ tenantId: h.tenantId, jobId: job.id }, (e) => seen.push(e.id));
    const relayed = (await h.dalston.maintenance.relayEvents())._unsafeUnwrap();
    expect(relayed).toBeGreaterThan(0);
    expect(seen).toHaveLength(relayed);
    expect(await h.adapters.jobStore.unpublishedEvents(h.clock.now(), 100)).toEqual([]);
  });

  it('sweeps objects with no job after the grace period', async () => {
    const h = await harness({ pipeline: one });
    const job = (
      await h.dalston.jobs.submit({ tenantId: h.tenantId, input: { name: 'in.txt', body: 'x' } })
    )._unsafeUnwrap();
    const orphanKey = `tenants/${h.tenantId}/jobs/job_ghost/input/in.txt`;
    await h.adapters.artifactStore.put(orphanKey, 'ghost');
    expect((await h.dalston.maintenance.sweepOrphans({ graceMs: 60_000 }))._unsafeUnwrap().deleted).toBe(0);
    await h.advance(61_000);
    expect((await h.dalston.maintenance.sweepOrphans({ graceMs: 60_000 }))._unsafeUnwrap().deleted).toBe(1);
    expect(await h.adapters.artifactStore.head(orphanKey)).toBeNull();
    expect((await h.adapters.artifactStore.list(`tenants/${h.tenantId}/jobs/${job.id}/`)).items).toHaveLength(
      1,
    );
  });

  it('start() runs the passes on the clock and stop() ends them', async () => {
    const h = await harness({ pipeline: one });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    const { tasks } = (await h.adapters.jobStore.getSnapshot(h.tenantId, job.id))!;
    await h.adapters.workQueue.remove('q', `${tasks[0]!.id}:1`);
    (await h.dalston.maintenance.start({ intervalMs: 1000 }))._unsafeUnwrap();
    await h.advance(10);
    await until(async () => (await h.adapters.workQueue.stats('q')).ready === 1);
    (await h.dalston.maintenance.stop())._unsafeUnwrap();
    await h.adapters.workQueue.remove('q', `${tasks[0]!.id}:1`);
    await h.advance(5000);
    expect((await h.adapters.workQueue.stats('q')).ready).toBe(0);
  });
});

describe('health and close', () => {
  it('reports every store; a down store makes the engine not ready', async () => {
    const q = { current: null as ReturnType<typeof breakable> | null };
    const h = await harness({
      wrap: (a) => {
        q.current = breakable(a.workQueue, 'workQueue');
        return { ...a, workQueue: q.current.port as typeof a.workQueue };
      },
    });
    const ok = (await h.dalston.health.check())._unsafeUnwrap();
    expect(ok.ready).toBe(true);
    expect(Object.keys(ok.stores).sort()).toHaveLength(9);
    q.current!.switch.down = true;
    const down = (await h.dalston.health.check())._unsafeUnwrap();
    expect(down.ready).toBe(false);
    expect(down.stores.workQueue).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
  });

  it('worker close hands a running attempt back after the deadline; another worker finishes it', async () => {
    const h = await harness({ pipeline: one, config: { leaseMs: 5000 } });
    let started = false;
    const stubborn = h.dalston.createWorker({
      queues: ['q'],
      handler: () => {
        started = true;
        return new Promise(() => {});
      },
    });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await until(() => started);
    expect(stubborn.running).toBe(1);
    await stubborn.close({ deadlineMs: 20 });
    // The handler never returns: the worker says so (it still runs, abandoned, after close).
    expect(stubborn.stats()).toMatchObject({ running: 1, overdueHandlers: 1, abandonedHandlers: 1 });
    h.dalston.createWorker({ queues: ['q'], handler: () => 'done' });
    await until(
      async () => (await h.dalston.jobs.get(h.tenantId, job.id))._unsafeUnwrap().status === 'completed',
    );
  });

  it('close is idempotent, stops workers and refuses new ones', async () => {
    const h = await harness({ pipeline: one });
    const w = h.dalston.createWorker({ queues: ['q'], handler: () => null });
    await Promise.all([h.dalston.close(), h.dalston.close()]);
    expect(w.closed).toBe(true);
    expect(() => h.dalston.createWorker({ queues: ['q'], handler: () => null })).toThrow(/closed/);
    expect(() => h.dalston.createWorker({ queues: ['Bad Queue'], handler: () => null })).toThrow();
  });

  it('createDalston refuses bad configuration by field', async () => {
    const { createDalston } = await import('../../src/create-dalston.js');
    const h = await harness();
    expect(() => createDalston({ adapters: h.adapters, pipeline: one, config: { leaseMs: -1 } })).toThrow(
      /config\.leaseMs/,
    );
    expect(() =>
      createDalston({ adapters: { ...h.adapters, workQueue: undefined as never }, pipeline: one }),
    ).toThrow(/adapters\.workQueue/);
  });

  it('createDalston refuses a port without ping or close, and an owned value without close', async () => {
    const { createDalston } = await import('../../src/create-dalston.js');
    const h = await harness();
    const { ping: _ping, ...noPing } = h.adapters.tenantStore;
    const tenantStore = Object.assign(Object.create(Object.getPrototypeOf(h.adapters.tenantStore)), noPing, {
      ping: undefined,
    });
    expect(() => createDalston({ adapters: { ...h.adapters, tenantStore }, pipeline: one })).toThrow(
      /adapters\.tenantStore\.ping/,
    );
    expect(() => createDalston({ adapters: h.adapters, pipeline: one, owns: [{} as never] })).toThrow(
      /owns\[0\]\.close/,
    );
  });

  it('dalston.close() closes every port, then what it owns, in order, once', async () => {
    const { createDalston } = await import('../../src/create-dalston.js');
    const h = await harness();
    const order: string[] = [];
    const owned = (name: string) => ({
      close: async () => {
        order.push(name);
      },
    });
    const dalston = createDalston({ adapters: h.adapters, pipeline: one, owns: [owned('a'), owned('b')] });
    await dalston.close();
    await dalston.close();
    expect(order).toEqual(['a', 'b']);
    for (const port of [h.adapters.jobStore, h.adapters.tenantStore, h.adapters.sessionArchive]) {
      expect(await port.ping().catch((e: { code: string }) => e.code)).toBe('CLOSED');
    }
  });

  it('health pings every port: a closed port is reported with CLOSED, the others ok', async () => {
    const h = await harness();
    await h.adapters.apiKeyStore.close();
    const report = (await h.dalston.health.check())._unsafeUnwrap();
    expect(report.ready).toBe(false);
    expect(report.stores.apiKeyStore).toMatchObject({ ok: false, error: { code: 'CLOSED' } });
    expect(report.stores.tenantStore.ok).toBe(true);
  });
});
