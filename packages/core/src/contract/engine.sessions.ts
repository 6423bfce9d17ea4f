/**
 * Whole-engine contract, session lifetimes: a session lives by the TTL it was started
 * with. A keepalive or an update that names no TTL renews by that one (not the engine
 * default), and the session's concurrency slot outlives its live state.
 */
import { describe, expect, it } from 'vitest';
import { type EngineFactory, type EngineRun, randomName, withEngine } from './engine.harness.js';

/** Longer than the suite's default session TTL (1000 ms), by a margin real time keeps. */
const OWN_TTL = 3000;
const STEP = 100;

const noPipeline = { build: () => [{ stage: 'a', queue: randomName('q') }] };

/** Samples the session every STEP for `ms`: it must be live at every instant. */
async function liveThroughout(run: EngineRun, sessionId: string, ms: number): Promise<void> {
  for (let waited = 0; waited < ms; waited += STEP) {
    await run.time.advance(STEP);
    const got = await run.dalston.sessions.get(run.tenantId, sessionId);
    expect(got.isOk(), `session gone ${waited + STEP} ms after its renewal`).toBe(true);
  }
}

export function engineSessionsContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine session lifetimes`, () => {
    it('a keepalive without ttlMs renews by the TTL the session was started with', async () => {
      await withEngine(factory, { pipeline: noPipeline }, async (run) => {
        const s = (
          await run.dalston.sessions.start({ tenantId: run.tenantId, ttlMs: OWN_TTL })
        )._unsafeUnwrap();
        expect(s.ttlMs).toBe(OWN_TTL);
        await run.time.advance(STEP);
        const renewedAt = run.time.now();
        (await run.dalston.sessions.keepalive(run.tenantId, s.id))._unsafeUnwrap();
        const live = (await run.dalston.sessions.get(run.tenantId, s.id))._unsafeUnwrap();
        expect(live.expiresAt - renewedAt).toBeGreaterThan(OWN_TTL - 500);
        await liveThroughout(run, s.id, 1500);
      });
    });

    it('an update without ttlMs renews by the TTL the session was started with', async () => {
      await withEngine(factory, { pipeline: noPipeline }, async (run) => {
        const s = (
          await run.dalston.sessions.start({ tenantId: run.tenantId, ttlMs: OWN_TTL })
        )._unsafeUnwrap();
        await run.time.advance(STEP);
        const renewedAt = run.time.now();
        const updated = (
          await run.dalston.sessions.update(run.tenantId, s.id, { fields: { n: 1 } })
        )._unsafeUnwrap();
        expect(updated.expiresAt - renewedAt).toBeGreaterThan(OWN_TTL - 500);
        expect(updated.ttlMs).toBe(OWN_TTL);
        await liveThroughout(run, s.id, 1500);
      });
    });

    it('an explicit ttlMs applies to that renewal only; the next one uses the session TTL again', async () => {
      await withEngine(factory, { pipeline: noPipeline }, async (run) => {
        const s = (
          await run.dalston.sessions.start({ tenantId: run.tenantId, ttlMs: OWN_TTL })
        )._unsafeUnwrap();
        (await run.dalston.sessions.keepalive(run.tenantId, s.id, { ttlMs: 60_000 }))._unsafeUnwrap();
        const long = (await run.dalston.sessions.get(run.tenantId, s.id))._unsafeUnwrap();
        expect(long.expiresAt - run.time.now()).toBeGreaterThan(50_000);
        (await run.dalston.sessions.keepalive(run.tenantId, s.id))._unsafeUnwrap();
        const own = (await run.dalston.sessions.get(run.tenantId, s.id))._unsafeUnwrap();
        expect(own.expiresAt - run.time.now()).toBeLessThanOrEqual(OWN_TTL);
        const bad = await run.dalston.sessions.keepalive(run.tenantId, s.id, { ttlMs: 0 });
        expect(bad._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED' });
      });
    });

    it("a session's slot outlives its live state: no second session gets in while it lives", async () => {
      await withEngine(
        factory,
        { pipeline: noPipeline, tenantLimits: { concurrentSessions: 1 } },
        async (run) => {
          const s = (
            await run.dalston.sessions.start({ tenantId: run.tenantId, ttlMs: OWN_TTL })
          )._unsafeUnwrap();
          for (let waited = 0; waited < OWN_TTL - 600; waited += STEP) {
            await run.time.advance(STEP);
            const other = await run.dalston.sessions.start({ tenantId: run.tenantId });
            expect(other.isErr() && other.error.code, `admitted ${waited + STEP} ms in`).toBe('RATE_LIMITED');
          }
          expect((await run.dalston.sessions.get(run.tenantId, s.id)).isOk()).toBe(true);
        },
      );
    });
  });
}
