/**
 * RedisWorkQueue beyond the contract: raw Redis checks (nothing left after ack, the
 * dead-letter entry, server-time expiry), corrupt entries dead-lettered, a worker that
 * dies holding a lease, exact concurrency, and the enqueue → lease wake-up latency.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyLayout, RedisWorkQueue } from '../src/index.js';
import { deletePrefix, keysOf, message, randomPrefix, singleRedis } from './support.js';

const target = singleRedis();
const prefix = randomPrefix('wq');
let queue: RedisWorkQueue;
beforeAll(async () => {
  await target.start();
  queue = new RedisWorkQueue({ client: target.client(), prefix });
});
afterAll(async () => {
  await queue.close();
  await deletePrefix(target.client(), prefix);
  await target.stop();
});

const qname = () => `q-${Math.random().toString(36).slice(2, 10)}`;
const qkey = (q: string, part: string) => new KeyLayout(prefix).queue(q).find((k) => k.endsWith(`:${part}`))!;

describe('RedisWorkQueue (raw Redis checks)', () => {
  it('acknowledged work leaves no keys behind', async () => {
    const q = qname();
    const msgs = Array.from({ length: 20 }, (_, i) => message(q, { priority: i % 3 }));
    await queue.enqueue(msgs);
    await queue.enqueue([message(q, { notBefore: Date.now() + 100 })]);
    expect((await keysOf(target.client(), prefix)).filter((k) => k.includes(q)).length).toBeGreaterThan(0);
    for (let i = 0; i < 21; i++) {
      const lease = await queue.lease([q], { leaseMs: 5000, waitMs: 1000 });
      expect(lease).not.toBeNull();
      expect(await queue.ack(q, lease!.message.id, lease!.token)).toBe(true);
    }
    expect((await keysOf(target.client(), prefix)).filter((k) => k.includes(q))).toEqual([]);
  });

  it('one enqueue of 2,500 (written in chunks) keeps priority, then enqueue order', async () => {
    const q = qname();
    const msgs = Array.from({ length: 2500 }, (_, i) => message(q, { priority: i % 2 }));
    expect(await queue.enqueue([...msgs, msgs[7]!])).toBe(2500); // the repeated id counts once
    const options = { leaseMs: 5000, waitMs: 0 };
    const order: string[] = [];
    let lease = await queue.lease([q], options);
    while (lease) {
      order.push(lease.message.id);
      const ref = { queue: q, messageId: lease.message.id, token: lease.token };
      lease = (await queue.ackAndLease(ref, [q], options)).lease;
    }
    const byPriority = [...msgs.filter((m) => m.priority === 1), ...msgs.filter((m) => m.priority === 0)];
    expect(order).toEqual(byPriority.map((m) => m.id));
    expect((await keysOf(target.client(), prefix)).filter((k) => k.includes(q))).toEqual([]);
  });

  it('a lease expiry is on the server clock and stored in the leased set', async () => {
    const q = qname();
    await queue.enqueue([message(q)]);
    const lease = (await queue.lease([q], { leaseMs: 10_000, waitMs: 0 }))!;
    const [secs, micros] = (await target.client().time()) as [string | number, string | number];
    const serverNow = Number(secs) * 1000 + Math.floor(Number(micros) / 1000);
    const score = Number(await target.client().zscore(qkey(q, 'leased'), lease.message.id));
    expect(score).toBe(lease.expiresAt);
    expect(Math.abs(lease.expiresAt - (serverNow + 10_000))).toBeLessThan(200);
  });

  it('a dead letter is written with its reason and the live entry is gone', async () => {
    const q = qname();
    const m = message(q, { maxDeliveries: 1 });
    await queue.enqueue([m]);
    await queue.lease([q], { leaseMs: 50, waitMs: 0 });
    expect(await queue.lease([q], { leaseMs: 1000, waitMs: 300 })).toBeNull();
    const entry = JSON.parse((await target.client().hget(qkey(q, 'dead'), m.id))!);
    expect(entry).toMatchObject({ reason: 'max deliveries (1) exceeded', deliveries: 1 });
    expect(JSON.parse(entry.body)).toEqual(m);
    expect(await target.client().hexists(qkey(q, 'body'), m.id)).toBe(0);
    expect(await target.client().zrange(qkey(q, 'deadids'), 0, -1)).toEqual([m.id]);
  });

  it('dead letters an older version kept as a list are paged, kept oldest first, and joined by new ones', async () => {
    const q = qname();
    const old = [message(q), message(q)];
    for (const m of old) {
      const entry = { body: JSON.stringify(m), reason: 'max deliveries (1) exceeded', deliveries: 1, at: 1 };
      await target.client().hset(qkey(q, 'dead'), m.id, JSON.stringify(entry));
      await target.client().rpush(qkey(q, 'deadids'), m.id);
    }
    const page = await queue.deadLetterPage(q, { limit: 1 });
    expect(page.letters.map((d) => d.id)).toEqual([old[0]!.id]);
    expect(await target.client().type(qkey(q, 'deadids'))).toBe('zset');
    const fresh = message(q, { maxDeliveries: 1 });
    await queue.enqueue([fresh]);
    await queue.lease([q], { leaseMs: 50, waitMs: 0 });
    expect(await queue.lease([q], { leaseMs: 1000, waitMs: 300 })).toBeNull();
    const rest = await queue.deadLetterPage(q, { after: page.next!, limit: 10 });
    expect(rest.letters.map((d) => d.id)).toEqual([old[1]!.id, fresh.id]);
    expect(await queue.removeDeadLetter(q, old[1]!.id)).toBe(true);
    expect((await queue.stats(q)).dead).toBe(2);
  });

  it('an unparseable entry goes to the dead letters with its raw text; work goes on', async () => {
    const q = qname();
    const bad = message(q, { priority: 5 });
    const good = message(q);
    await queue.enqueue([bad, good]);
    await target.client().hset(qkey(q, 'body'), bad.id, '{"not":"a message"');
    const lease = await queue.lease([q], { leaseMs: 1000, waitMs: 0 });
    expect(lease?.message.id).toBe(good.id);
    const [dead] = await queue.deadLetters(q, 10);
    expect(dead).toMatchObject({
      id: bad.id,
      message: null,
      raw: '{"not":"a message"',
      reason: 'unparseable entry',
    });
    expect(await queue.stats(q)).toEqual({ ready: 0, delayed: 0, leased: 1, dead: 1 });
  });

  it("ackAndLease: one script acks and leases on the worker's queue; an unparseable next entry is dead-lettered", async () => {
    const q = qname();
    const first = message(q, { priority: 9 });
    const bad = message(q, { priority: 5 });
    const good = message(q);
    await queue.enqueue([first, bad, good]);
    const held = (await queue.lease([q], { leaseMs: 5000, waitMs: 0 }))!;
    await target.client().hset(qkey(q, 'body'), bad.id, 'not json');
    const done = { queue: q, messageId: held.message.id, token: held.token };
    const r = await queue.ackAndLease(done, [q], { leaseMs: 5000, waitMs: 0 });
    expect(r.acked).toBe(true);
    expect(r.lease?.message).toEqual(good);
    expect(await target.client().hexists(qkey(q, 'body'), first.id)).toBe(0);
    expect(await target.client().zscore(qkey(q, 'leased'), good.id)).toBe(String(r.lease!.expiresAt));
    expect((await queue.deadLetters(q, 10)).map((d) => [d.id, d.raw])).toEqual([[bad.id, 'not json']]);
    const last = { queue: q, messageId: good.id, token: r.lease!.token };
    expect(await queue.ackAndLease(last, [q], { leaseMs: 5000, waitMs: 0 })).toEqual({
      acked: true,
      lease: null,
    });
    expect(
      (await keysOf(target.client(), prefix)).filter(
        (k) => k.includes(q) && !k.endsWith('dead') && !k.endsWith('deadids') && !k.endsWith('deadnew'),
      ),
    ).toEqual([]);
  });

  it('corrupt meta is dead-lettered too, never a crash', async () => {
    const q = qname();
    const m = message(q);
    await queue.enqueue([m]);
    await target.client().hset(qkey(q, 'meta'), m.id, 'garbage');
    expect(await queue.lease([q], { leaseMs: 1000, waitMs: 0 })).toBeNull();
    expect((await queue.deadLetters(q, 10)).map((d) => [d.id, d.reason])).toEqual([
      [m.id, 'unparseable entry'],
    ]);
  });

  it('a worker that dies holding a lease: the message is redelivered after the lease', async () => {
    const q = qname();
    const m = message(q);
    await queue.enqueue([m]);
    const dead = (await queue.lease([q], { leaseMs: 200, waitMs: 0 }))!; // never acked
    const started = Date.now();
    const again = await queue.lease([q], { leaseMs: 1000, waitMs: 3000 });
    expect(again?.message.id).toBe(m.id);
    expect(again?.deliveries).toBe(2);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await queue.ack(q, m.id, dead.token)).toBe(false);
    expect(await queue.ack(q, m.id, again!.token)).toBe(true);
  });

  it('a waiter blocked before a lease was taken still picks up that lease when it expires', async () => {
    const q = qname();
    const waiting = queue.lease([q], { leaseMs: 1000, waitMs: 4000 });
    const other = new RedisWorkQueue({ client: target.client(), prefix });
    await new Promise((r) => setTimeout(r, 50));
    await other.enqueue([message(q), message(q)]);
    // `waiting` takes one; the other goes to a worker that dies with a 300 ms lease.
    const first = await waiting;
    const dying = await other.lease([q], { leaseMs: 300, waitMs: 1000 });
    expect(first && dying).toBeTruthy();
    const started = Date.now();
    const again = await queue.lease([q], { leaseMs: 1000, waitMs: 4000 });
    expect(again?.message.id).toBe(dying!.message.id);
    expect(Date.now() - started).toBeLessThan(1500);
    await other.close();
  });

  it('200 concurrent blocking leases on 100 messages: each message to exactly one caller', async () => {
    const q = qname();
    const msgs = Array.from({ length: 100 }, () => message(q));
    const waiting = Array.from({ length: 200 }, () => queue.lease([q], { leaseMs: 60_000, waitMs: 800 }));
    await new Promise((r) => setTimeout(r, 100));
    await queue.enqueue(msgs);
    const leases = (await Promise.all(waiting)).filter((l) => l !== null);
    expect(leases.length).toBe(100);
    expect(new Set(leases.map((l) => l!.message.id)).size).toBe(100);
    expect(await queue.stats(q)).toEqual({ ready: 0, delayed: 0, leased: 100, dead: 0 });
  });

  it('measures the enqueue → lease wake-up latency (no polling)', async () => {
    const q = qname();
    const samples: number[] = [];
    // Warm up the blocking connection.
    await queue.enqueue([message(q)]);
    await queue.lease([q], { leaseMs: 1000, waitMs: 100 });
    for (let i = 0; i < 300; i++) {
      const waiting = queue.lease([q], { leaseMs: 1000, waitMs: 2000 });
      await new Promise((r) => setTimeout(r, 2));
      const t0 = performance.now();
      await queue.enqueue([message(q)]);
      const lease = await waiting;
      samples.push(performance.now() - t0);
      expect(lease).not.toBeNull();
      await queue.ack(q, lease!.message.id, lease!.token);
    }
    samples.sort((a, b) => a - b);
    const p50 = samples[Math.floor(samples.length * 0.5)]!;
    const p99 = samples[Math.floor(samples.length * 0.99)]!;
    console.log(
      `enqueue → lease wake-up over ${samples.length} samples: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
    );
    expect(p50).toBeLessThan(50);
  });

  it('a lease survives a SCRIPT FLUSH (NOSCRIPT is handled by reloading)', async () => {
    const q = qname();
    await queue.enqueue([message(q)]);
    await target.client().script('FLUSH');
    const lease = await queue.lease([q], { leaseMs: 1000, waitMs: 0 });
    expect(lease).not.toBeNull();
  });
});
