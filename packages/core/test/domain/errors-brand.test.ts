/**
 * DalstonErrors are recognised by a brand (`Symbol.for('dalston.error')`), not by class
 * identity, so a tree with two copies of @dalston/core (an adapter that resolved its own
 * copy) still recognises them. The second copy here is the same module loaded again after
 * `vi.resetModules()`: its DalstonError is a different class object.
 */
import { describe, expect, it, vi } from 'vitest';
import * as ours from '../../src/domain/errors.js';

async function secondCopy(): Promise<typeof ours> {
  vi.resetModules();
  const other = await import('../../src/domain/errors.js');
  expect(other.DalstonError).not.toBe(ours.DalstonError);
  return other;
}

describe('DalstonError brand', () => {
  it('an error from another copy of core is recognised by isDalstonError and instanceof', async () => {
    const other = await secondCopy();
    const e = new other.DalstonError('NOT_FOUND', 'job j1 not found');
    expect(ours.isDalstonError(e)).toBe(true);
    expect(e instanceof ours.DalstonError).toBe(true);
    expect(e).toBeInstanceOf(ours.DalstonError);
    const mine = new ours.DalstonError('CONFLICT', 'x');
    expect(other.isDalstonError(mine)).toBe(true);
  });

  it('toDalstonError and storeUnavailable pass another copy’s error through unchanged', async () => {
    const other = await secondCopy();
    const e = new other.DalstonError('RATE_LIMITED', 'slow down', { retryAfterMs: 50 });
    expect(ours.toDalstonError(e)).toBe(e);
    expect(ours.storeUnavailable('workQueue', 'lease', e)).toBe(e);
  });

  it('plain errors, look-alikes without the brand and hostile values are not DalstonErrors', () => {
    expect(ours.isDalstonError(new Error('x'))).toBe(false);
    expect(ours.isDalstonError({ name: 'DalstonError', code: 'NOT_FOUND', message: 'x' })).toBe(false);
    expect(ours.isDalstonError(null)).toBe(false);
    expect(ours.isDalstonError('NOT_FOUND')).toBe(false);
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    expect(ours.isDalstonError(hostile)).toBe(false);
    expect(hostile instanceof ours.DalstonError).toBe(false);
    expect(ours.toDalstonError(hostile).code).toBe('INTERNAL');
  });

  it('the brand is not enumerable: JSON and toJSON are unchanged', () => {
    const e = new ours.DalstonError('VALIDATION_FAILED', 'limit: too big', { field: 'limit' });
    expect(Object.getOwnPropertySymbols(e)).toEqual([]);
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'limit: too big',
      field: 'limit',
    });
  });

  it('a subclass keeps the ordinary prototype check', () => {
    class HostError extends ours.DalstonError {}
    expect(new HostError('INTERNAL', 'x') instanceof HostError).toBe(true);
    expect(new ours.DalstonError('INTERNAL', 'x') instanceof HostError).toBe(false);
    expect(new HostError('INTERNAL', 'x') instanceof ours.DalstonError).toBe(true);
  });
});
