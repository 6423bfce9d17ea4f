/**
 * The published ArtifactStore contract suite against a real S3-compatible server
 * (s3rver started here on a free port, or DALSTON_TEST_S3_ENDPOINT). Each fixture is a
 * fresh store under its own object prefix; s3rver declares `abortStaleUploads: false`.
 */
import { artifactStoreContract, realTime } from '@dalston/core/contract';
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

artifactStoreContract('s3 (s3rver)', async () => {
  const adapters = storeOn(server, `contract-${rand()}/`);
  return { port: adapters.artifactStore, time: realTime, cleanup: () => adapters.close() };
});
