/**
 * Core's whole-engine flow suite with S3 (s3rver, or DALSTON_TEST_S3_ENDPOINT) for
 * artifacts and the memory set for every other port; an object prefix per test.
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { engineContract, realTime } from '@dalston/core/contract';
import { afterAll, beforeAll } from 'vitest';
import { type S3Server, startS3Server } from '../../../test-support/s3.js';
import { rand, storeOn } from './support.js';

let server: S3Server;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

engineContract('s3 + memory', async () => {
  const { artifactStore } = storeOn(server, `engine-${rand()}/`);
  return {
    adapters: { ...memoryAdapters(), artifactStore },
    time: realTime,
    cleanup: async () => {},
  };
});
