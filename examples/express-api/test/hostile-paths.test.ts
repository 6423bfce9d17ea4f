/**
 * Paths a client can send that are not valid UTF-8 once percent-decoded, or that hold
 * characters no store can keep: every route answers with a problem+json 4xx, never 500.
 */
import { DalstonError } from '@dalston/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toProblem } from '../src/problem.js';
import type { RunningApi } from '../src/run.js';
import { client, problemOf, startMemoryApi } from './helpers.js';

let api: RunningApi;
let c: ReturnType<typeof client>;
let key: string;

beforeAll(async () => {
  api = await startMemoryApi();
  key = api.bootstrap!.adminKey;
  c = client(api.url, key);
});
afterAll(() => api.close());

const MALFORMED = ['%C0%AF', '%ff', '%E0%80', '%ED%A0%80', 'a%', '%zz'];
const ROUTES: ((id: string) => [string, string])[] = [
  (id) => ['GET', `/v1/jobs/${id}`],
  (id) => ['GET', `/v1/jobs/${id}/result`],
  (id) => ['GET', `/v1/jobs/${id}/events`],
  (id) => ['POST', `/v1/jobs/${id}/cancel`],
  (id) => ['DELETE', `/v1/jobs/${id}`],
  (id) => ['DELETE', `/v1/keys/${id}`],
];

const call = (method: string, path: string) =>
  fetch(api.url + path, { method, headers: { authorization: `Bearer ${key}` } });

describe('malformed percent-encoding in a path parameter', () => {
  for (const route of ROUTES) {
    for (const raw of MALFORMED) {
      const [method, path] = route(raw);
      it(`${method} ${path} answers 400 problem+json`, async () => {
        const res = await call(method, path);
        const problem = await problemOf(res);
        expect(res.status).toBe(400);
        expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', field: 'path' });
      });
    }
  }
});

describe('ids that cannot exist', () => {
  for (const raw of ['%00', 'a%00b', '%EF%BF%BF', '%F0%9F%98%80']) {
    it(`GET /v1/jobs/${raw} answers 404`, async () => {
      const res = await c.get(`/v1/jobs/${raw}`);
      expect(await problemOf(res)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    });
  }
});

describe('errors raised by a store name none of its internals to the client', () => {
  const fromStore = [
    new DalstonError(
      'VALIDATION_FAILED',
      'job_id: rejected by PostgreSQL (SQLSTATE 22021) in jobStore.getJob',
      {
        store: 'jobStore',
        operation: 'getJob',
        field: 'job_id',
        details: { sqlState: '22021' },
      },
    ),
    new DalstonError('CONFLICT', 'jobStore.createJob: a record with this key already exists (jobs_pkey)', {
      store: 'jobStore',
      operation: 'createJob',
      details: { constraint: 'jobs_pkey' },
    }),
    new DalstonError('STORE_UNAVAILABLE', 'tenantStore.get failed: the store is unreachable or errored', {
      store: 'tenantStore',
      operation: 'get',
    }),
  ];
  it.each(fromStore.map((e) => [e.code, e] as const))('%s', (_, error) => {
    const problem = toProblem(error, '/v1/jobs/x');
    expect(JSON.stringify(problem)).not.toMatch(
      /SQLSTATE|22021|jobStore|tenantStore|getJob|createJob|job_id|jobs_pkey|PostgreSQL/,
    );
    expect(problem.code).toBe(error.code);
  });
});
