/**
 * A console under test: an engine on the real stores (PostgreSQL + Redis + s3rver), an
 * Express app mounting the console at /console, and Debian's Chromium driven by
 * playwright-core (never Playwright's own browser download).
 */
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dalstonConsole } from '@dalston/console';
import { createDalston, type Dalston } from '@dalston/core';
import express from 'express';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import {
  type EngineTarget,
  inspectTarget,
  newTarget,
  type RealAdapters,
  realAdapters,
} from '../../../test-support/engine.js';
import { testDatabase } from '../../../test-support/postgres.js';
import { testRedisUrl } from '../../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../../test-support/s3.js';

export const ADMIN_KEY = 'console-test-admin-key-0123456789';
export const CHROMIUM = process.env.DALSTON_TEST_CHROMIUM ?? '/usr/bin/chromium';

export interface ConsoleFixture {
  dalston: Dalston;
  /** The engine's adapters on the real stores (to produce dead letters as a crashing worker would). */
  adapters: RealAdapters['adapters'];
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: the test's own pipeline or job types
export async function consoleFixture(engine: Record<string, any>): Promise<ConsoleFixture> {
  const [db, redisUrl] = await Promise.all([testDatabase(), testRedisUrl()]);
  const s3: S3Server = await startS3Server();
  const target: EngineTarget = newTarget({
    databaseUrl: db.url,
    redisUrl,
    s3Endpoint: s3.endpoint,
    s3Bucket: s3.bucket,
    label: 'console',
  });
  const real = await realAdapters(target);
  const dalston = createDalston({ adapters: real.adapters, ...engine } as Parameters<
    typeof createDalston
  >[0]);
  const app = express();
  app.use('/console', dalstonConsole({ dalston, auth: { adminKey: ADMIN_KEY }, heartbeatMs: 1_000 }));
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/console`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return {
    dalston,
    adapters: real.adapters,
    url,
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await dalston.close();
      await real.close();
      await inspectTarget(target).cleanup();
      await s3.stop();
    },
  };
}

/** Screenshots go to docs/images with DALSTON_UPDATE_SCREENSHOTS=1, else to a temporary folder. */
const shots = process.env.DALSTON_UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL('../../../docs/images/', import.meta.url))
  : mkdtempSync(join(tmpdir(), 'dalston-console-'));
mkdirSync(shots, { recursive: true });

/** A full-page screenshot `console-<name>.png`, checked to hold a rendered page. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const file = join(shots, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  expect(statSync(file).size).toBeGreaterThan(5_000);
}
