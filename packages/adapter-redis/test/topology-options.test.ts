/**
 * The `sentinel` and `cluster` options: refused with VALIDATION_FAILED naming the option
 * (never echoing a password), exactly one topology at a time. No server needed: refused
 * options open nothing.
 */
import { DalstonError } from '@dalston/core/adapter';
import { describe, expect, it } from 'vitest';
import { reconnectOnReadOnly } from '../src/connection.js';
import { redisAdapters } from '../src/index.js';

const SECRET = 'hunter2-secret';

function refusal(options: unknown): DalstonError {
  try {
    redisAdapters(options as never);
  } catch (e) {
    expect(e).toBeInstanceOf(DalstonError);
    const err = e as DalstonError;
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(`${err.message} ${JSON.stringify(err.toJSON())}`).not.toContain(SECRET);
    return err;
  }
  throw new Error('expected a refusal');
}

const sentinels = [{ host: '127.0.0.1', port: 26379 }];

describe('topology options', () => {
  it('takes exactly one of client, url, sentinel, cluster', () => {
    const both = refusal({ url: `redis://:${SECRET}@h:6379`, sentinel: { sentinels, name: 'm' } });
    expect(both.message).toMatch(/pass one of .*; got url and sentinel/);
    expect(both.field).toBe('sentinel');
    expect(refusal({ prefix: 'x' }).field).toBe('options');
  });

  it.each([
    [{ sentinels: [], name: 'm' }, 'sentinel.sentinels', /at least one sentinel/],
    [{ sentinels: [{ host: 'h', port: 0 }], name: 'm' }, 'sentinel.sentinels.0.port', /.+/],
    [{ sentinels: [{ host: '', port: 1 }], name: 'm' }, 'sentinel.sentinels.0.host', /non-empty/],
    [{ sentinels }, 'sentinel.name', /.+/],
    [{ sentinels, name: 'has space' }, 'sentinel.name', /master group name/],
    [{ sentinels, name: 'm', password: '' }, 'sentinel.password', /non-empty/],
    [{ sentinels, name: 'm', db: -1, password: SECRET }, 'sentinel.db', /.+/],
    [{ sentinels, name: 'm', pasword: SECRET }, 'sentinel', /pasword/],
  ])('sentinel %j is refused naming %s', (sentinel, field, text) => {
    const err = refusal({ sentinel });
    expect(err.field).toBe(field);
    expect(err.message).toContain(`option ${field}`);
    expect(err.message).toMatch(text);
  });

  it.each([
    [{ nodes: [] }, 'cluster.nodes', /at least one cluster node/],
    [{ nodes: [{ host: 'h', port: 70_000 }], password: SECRET }, 'cluster.nodes.0.port', /.+/],
    [{ nodes: [{ host: 'h', port: 7000 }], tls: 'yes' }, 'cluster.tls', /.+/],
  ])('cluster %j is refused naming %s', (cluster, field, text) => {
    const err = refusal({ cluster });
    expect(err.field).toBe(field);
    expect(err.message).toMatch(text);
  });

  it('READONLY replies (a demoted primary) reconnect and resend; other errors do not', () => {
    expect(reconnectOnReadOnly(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(reconnectOnReadOnly(new Error("ERR Error running script: -READONLY You can't write"))).toBe(2);
    expect(reconnectOnReadOnly(new Error('NOSCRIPT No matching script'))).toBe(false);
    expect(reconnectOnReadOnly(new Error('WRONGTYPE Operation'))).toBe(false);
  });
});
