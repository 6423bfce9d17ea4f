/** Option validation and client ownership (no server needed). */
import { S3Client } from '@aws-sdk/client-s3';
import { s3Adapters } from '@dalston/adapter-s3';
import { describe, expect, it } from 'vitest';

const MiB = 1024 * 1024;
const base = { region: 'us-east-1', bucket: 'my-bucket' };

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; field?: string; message: string };
  }
  throw new Error('expected the options to be refused');
};

describe('s3Adapters options', () => {
  it('applies defaults and declares capabilities as data', () => {
    const { artifactStore } = s3Adapters(base);
    expect(artifactStore.capabilities).toEqual({ presign: true, abortStaleUploads: true });
    expect(artifactStore.uriFor('tenants/t/jobs/j/input/a.wav')).toBe(
      's3://my-bucket/tenants/t/jobs/j/input/a.wav',
    );
  });

  it.each([
    ['dalston', 'dalston/'],
    ['/dalston/', 'dalston/'],
    ['a//b/', 'a/b/'],
    ['', ''],
  ])('normalises prefix %j to %j', (prefix, expected) => {
    const { artifactStore } = s3Adapters({ ...base, prefix });
    expect(artifactStore.uriFor('tenants/t/jobs/j/input/a')).toBe(
      `s3://my-bucket/${expected}tenants/t/jobs/j/input/a`,
    );
  });

  it.each([
    [{ ...base, bucket: 'ab' }, 'options.bucket'],
    [{ ...base, bucket: 'Upper_Case' }, 'options.bucket'],
    [{ ...base, prefix: '../escape' }, 'options.prefix'],
    [{ ...base, prefix: 'has space' }, 'options.prefix'],
    [{ ...base, partSizeBytes: 4 * MiB }, 'options.partSizeBytes'],
    [{ ...base, queueSize: 0 }, 'options.queueSize'],
    [{ ...base, checksums: 'always' }, 'options.checksums'],
    [{ ...base, endpoint: 'not a url' }, 'options.endpoint'],
    [{ bucket: 'my-bucket' }, 'options.region'],
    [{ ...base, credentials: { accessKeyId: 'a' } }, 'options.credentials'],
    [{ ...base, capabilities: { teleport: true } }, 'options.capabilities'],
  ])('refuses %j naming %s', (options, field) => {
    const e = refusal(() => s3Adapters(options as never));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.field).toBe(field);
    expect(e.message).toMatch(/^@dalston\/adapter-s3: option /);
  });

  it('refuses a client together with connection options', () => {
    const client = new S3Client({ region: 'us-east-1' });
    const e = refusal(() => s3Adapters({ client, region: 'eu-west-1', bucket: 'my-bucket' } as never));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.message).toContain('not both');
    client.destroy();
  });

  it('never puts credentials into error messages', () => {
    const secret = 'wJalrXUtnFEMI-very-secret';
    const e = refusal(() =>
      s3Adapters({ ...base, bucket: 'x', credentials: { accessKeyId: 'AKIA', secretAccessKey: secret } }),
    );
    expect(JSON.stringify(e)).not.toContain(secret);
    expect(e.message).not.toContain(secret);
  });

  it('closes only a client it created', async () => {
    const hostClient = new S3Client({ region: 'us-east-1' });
    let destroyed = 0;
    const original = hostClient.destroy.bind(hostClient);
    hostClient.destroy = () => {
      destroyed++;
      original();
    };
    const withHostClient = s3Adapters({ client: hostClient, bucket: 'my-bucket' });
    await withHostClient.close();
    expect(destroyed).toBe(0);
    hostClient.destroy();

    const own = s3Adapters(base);
    const ownClient = (own.artifactStore as unknown as { options: { client: S3Client } }).options.client;
    let ownDestroyed = 0;
    const ownOriginal = ownClient.destroy.bind(ownClient);
    ownClient.destroy = () => {
      ownDestroyed++;
      ownOriginal();
    };
    await own.close();
    await own.close();
    expect(ownDestroyed).toBe(1);
  });
});
