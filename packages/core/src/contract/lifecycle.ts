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

/**
 * Registers the lifecycle tests for one port. `use` is an ordinary call of the port (a read
 * or a write) that must be refused once the port is closed, as `operation`.
 */
export function portLifecycleContract<T extends PortLifecycle>(
  name: string,
  store: StoreName,
  factory: PortFactory<T>,
  use: { operation: string; call: (port: T) => Promise<unknown> },
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

    it('refuses ping and a write with CLOSED naming the store and operation once closed', async () => {
      const port = fx().port;
      await port.close();
      const pinged = await expectDalstonError(port.ping(), 'CLOSED');
      expect(pinged.store).toBe(store);
      expect(pinged.operation).toBe('ping');
      const used = await expectDalstonError(use.call(port), 'CLOSED');
      expect(used.store).toBe(store);
      expect(used.operation).toBe(use.operation);
      expect(used.message).toContain('closed');
    });
  });
}
