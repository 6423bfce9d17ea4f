import { memoryAdapters } from '@dalston/adapter-memory';
import { createDalston, type Dalston, type JobsService, type TenantsService } from '@dalston/core';
import { dalstonToken, registerDalston } from '@dalston/core/tsyringe';
import { container, inject, injectable } from 'tsyringe';
import { afterEach, describe, expect, it } from 'vitest';

@injectable()
class SubmitController {
  constructor(
    @inject(dalstonToken('jobs')) readonly jobs: JobsService,
    @inject(dalstonToken('tenants')) readonly tenants: TenantsService,
  ) {}

  async submit(tenantId: string) {
    (await this.tenants.create({ id: tenantId, name: tenantId }))._unsafeUnwrap();
    return (await this.jobs.submit({ tenantId, parameters: { n: 1 } }))._unsafeUnwrap();
  }
}

describe('a tsyringe host', () => {
  let dalston: Dalston | undefined;
  afterEach(() => dalston?.close());

  it('resolves the engine and its services from its own container, by token', async () => {
    dalston = createDalston({
      adapters: memoryAdapters(),
      pipeline: { build: () => [{ stage: 'a', queue: 'q' }] },
    });
    const host = registerDalston(container.createChildContainer(), dalston);

    expect(host.resolve(dalstonToken('engine'))).toBe(dalston);
    expect(host.resolve(dalstonToken('jobs'))).toBe(dalston.jobs);
    expect(host.resolve(dalstonToken('health'))).toBe(dalston.health);
    expect(host.resolve(dalstonToken('config'))).toBe(dalston.config);
    const job = await host.resolve(SubmitController).submit('acme');
    const read = await dalston.jobs.get('acme', job.id);
    expect(read._unsafeUnwrap().status).toBe('pending');
  });

  it('gets the guarded services: a bad id is an err, not a throw', async () => {
    dalston = createDalston({
      adapters: memoryAdapters(),
      pipeline: { build: () => [{ stage: 'a', queue: 'q' }] },
    });
    const host = registerDalston(container.createChildContainer(), dalston);
    const jobs = host.resolve<JobsService>(dalstonToken('jobs'));
    const got = await jobs.get('acme', 42 as unknown as string);
    expect(got._unsafeUnwrapErr().code).toBe('VALIDATION_FAILED');
  });

  it('uses the same symbols across copies of the package (Symbol.for)', () => {
    expect(dalstonToken('jobs')).toBe(Symbol.for('dalston.host.jobs'));
    expect(dalstonToken('engine')).not.toBe(dalstonToken('jobs'));
  });

  it('does not expose a container on the Dalston object', () => {
    dalston = createDalston({
      adapters: memoryAdapters(),
      pipeline: { build: () => [{ stage: 'a', queue: 'q' }] },
    });
    expect('container' in dalston).toBe(false);
  });
});
