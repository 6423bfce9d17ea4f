/**
 * The lifecycle every port shares (`PortLifecycle`): `ping()` answers while open, `close()`
 * is idempotent, and a closed port refuses every call with CLOSED naming the store and
 * the operation, at once (never hanging, never reaching the store).
 */
import { describe, expect, it } from 'vitest';
import type { StoreName } from '../domain/errors.js';
import type { PortLifecycle } from '../ports/lifecycle.js';
import type { PortFactory } from './fixture.js';
import { expectDalstonError, useFixture } from './store-helpers.js';

/** A call of the port and the operation a refusal must name. */
export interface PortCall<T> {
  operation: string;
  call: (port: T) => Promise<unknown>;
}

/**
 * Registers the lifecycle tests for one port. `use` is an ordinary call of the port (a
 * write) and `read` a read; both must be refused once the port is closed, as `operation`.
 */
export function portLifecycleContract<T extends PortLifecycle>(
  name: string,
  store: StoreName,
  factory: PortFactory<T>,
  use: PortCall<T>,
  read?: PortCall<T>,
): void {
  describe(`${name}: ${store} ping and close`, () => {
    const fx = useFixture(factory);

    it('answers ping while open, with no data read or written', async () => {
      const port = fx().port;
      await expect(port.ping()).resolves.toBeUndefined();
      await expect(port.ping()).resolves.toBeUndefined();
    });

    it('closes idempotently: a second close resolves at once', async () => {
      const port = fx().port;
      await port.close();
      await expect(port.close()).resolves.toBeUndefined();
    });

    it('refuses ping, a write and a read with CLOSED naming the store and operation once closed', async () => {
      const port = fx().port;
      await port.close();
      const pinged = await expectDalstonError(port.ping(), 'CLOSED');
      expect(pinged.store).toBe(store);
      expect(pinged.operation).toBe('ping');
      for (const call of read ? [use, read] : [use]) {
        const used = await expectDalstonError(call.call(port), 'CLOSED');
        expect(used.store).toBe(store);
        expect(used.operation).toBe(call.operation);
        expect(used.message).toContain('closed');
      }
    });
  });
}
