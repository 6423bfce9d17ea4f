/**
 * The engine the command works through: built on the stores `DALSTON_*` names (via
 * `@dalston/env`, without migrating), never on the ports directly. It runs no workers and
 * no maintenance loop, and submits nothing, so it needs no job types; it is closed, with
 * the stores it opened, when the command ends.
 */
import { createDalston, type Dalston, DalstonError } from '@dalston/core';
import { adaptersFromEnv } from '@dalston/env';
import type { CliIo } from './io.js';

const NOT_SUBMITTING = {
  build(): never {
    throw new DalstonError('VALIDATION_FAILED', 'the dalston command does not submit jobs');
  },
};

export interface EngineHandle {
  /** Opens the engine on first use. */
  get(): Promise<Dalston>;
  close(): Promise<void>;
}

export function engineFromEnv(io: CliIo): EngineHandle {
  let opening: Promise<Dalston> | null = null;
  return {
    get: () => {
      opening ??= open(io);
      return opening;
    },
    close: async () => {
      if (!opening) return;
      const dalston = await opening.catch(() => null);
      await dalston?.close();
    },
  };
}

async function open(io: CliIo): Promise<Dalston> {
  const stores = await adaptersFromEnv({ env: io.env, migrate: false });
  if (stores.mode === 'memory') {
    await stores.close();
    throw new DalstonError(
      'VALIDATION_FAILED',
      'no stores configured: set DALSTON_DATABASE_URL, DALSTON_REDIS_URL and DALSTON_S3_BUCKET (see docs/configuration.md); an in-memory engine would show nothing',
    );
  }
  return createDalston({ adapters: stores.adapters, pipeline: NOT_SUBMITTING, owns: stores });
}
