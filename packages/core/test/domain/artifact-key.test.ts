import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isArtifactPrefix,
  jobInputKey,
  jobOutputKey,
  jobPrefix,
  parseArtifactKey,
  sessionArtifactKey,
  taskArtifactKey,
  tenantPrefix,
  validateArtifactName,
} from '../../src/domain/artifact-key.js';

describe('artifact keys', () => {
  it('derives the documented shapes', () => {
    expect(jobInputKey('t1', 'j1', 'audio.wav')).toBe('tenants/t1/jobs/j1/input/audio.wav');
    expect(taskArtifactKey('t1', 'j1', 'transcribe', 'out/part-1.json')).toBe(
      'tenants/t1/jobs/j1/tasks/transcribe/out/part-1.json',
    );
    expect(jobOutputKey('t1', 'j1', 'transcript.txt')).toBe('tenants/t1/jobs/j1/output/transcript.txt');
    expect(sessionArtifactKey('t1', 's1', 'rec.opus')).toBe('tenants/t1/sessions/s1/rec.opus');
    expect(jobPrefix('t1', 'j1')).toBe('tenants/t1/jobs/j1/');
    expect(tenantPrefix('t1')).toBe('tenants/t1/');
  });

  it('refuses malformed parts when deriving', () => {
    expect(() => jobInputKey('t/1', 'j1', 'a')).toThrow(/tenantId/);
    expect(() => jobInputKey('t1', 'j1', '../x')).toThrow(/name/);
    expect(() => taskArtifactKey('t1', 'j1', 'Bad', 'x')).toThrow(/stage/);
  });

  it.each(['a', 'audio.wav', 'dir/file.json', 'A-b_c.1', 'x'.repeat(200)])('accepts name %s', (name) => {
    expect(validateArtifactName(name).isOk()).toBe(true);
  });

  it.each([
    '',
    'x'.repeat(201),
    '/abs',
    '.hidden',
    'a/.b',
    'a..b',
    '..',
    'a/b/c',
    'a/',
    'a//b',
    'sp ace',
    'ü',
    'a\\b',
    'a\0',
  ])('refuses name %j', (name) => {
    const r = validateArtifactName(name);
    expect(r.isErr()).toBe(true);
    expect(r._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'name' });
  });

  it('parses every derived shape', () => {
    expect(parseArtifactKey('tenants/t1/jobs/j1/input/a.wav')._unsafeUnwrap()).toEqual({
      tenantId: 't1',
      jobId: 'j1',
      kind: 'input',
      name: 'a.wav',
    });
    expect(parseArtifactKey('tenants/t1/jobs/j1/tasks/asr/d/x.json')._unsafeUnwrap()).toEqual({
      tenantId: 't1',
      jobId: 'j1',
      kind: 'task',
      stage: 'asr',
      name: 'd/x.json',
    });
    expect(parseArtifactKey('tenants/t1/jobs/j1/output/o')._unsafeUnwrap().kind).toBe('output');
    expect(parseArtifactKey('tenants/t1/sessions/s1/r.opus')._unsafeUnwrap()).toEqual({
      tenantId: 't1',
      sessionId: 's1',
      kind: 'session',
      name: 'r.opus',
    });
  });

  it.each([
    'tenants/t1/jobs/j1/input/',
    'tenants/t1/jobs/j1/other/x',
    'tenants/t1/jobs/j1/tasks/asr',
    'tenants/t1/jobs/j1/tasks/ASR/x',
    'tenants/t1/jobs/j1/input/../../x',
    'tenants/t1/jobs/j1/input/a/b/c',
    '/tenants/t1/jobs/j1/input/x',
    'prefix/tenants/t1/jobs/j1/input/x',
    'tenants//jobs/j1/input/x',
    'tenants/t1/files/x',
    'tenants/t1/sessions/s1/',
    'tenants/t1',
    '',
  ])('refuses raw key %j', (key) => {
    expect(parseArtifactKey(key)._unsafeUnwrapErr()).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'key',
    });
  });

  it('round-trips derived keys (property)', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    const seg = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,40}$/).filter((s) => !s.includes('..'));
    const name = fc.oneof(
      seg,
      fc.tuple(seg, seg).map(([a, b]) => `${a}/${b}`),
    );
    const stage = fc.stringMatching(/^[a-z][a-z0-9_-]{0,62}$/);
    fc.assert(
      fc.property(id, id, stage, name, (t, j, s, n) => {
        expect(parseArtifactKey(taskArtifactKey(t, j, s, n))._unsafeUnwrap()).toEqual({
          tenantId: t,
          jobId: j,
          kind: 'task',
          stage: s,
          name: n,
        });
        expect(parseArtifactKey(jobInputKey(t, j, n))._unsafeUnwrap().name).toBe(n);
        expect(parseArtifactKey(sessionArtifactKey(t, j, n))._unsafeUnwrap().sessionId).toBe(j);
      }),
      { numRuns: 500 },
    );
  });

  it('never accepts a key with a traversal or outside the shapes (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (raw) => {
        const r = parseArtifactKey(raw);
        if (r.isOk()) {
          expect(raw.startsWith('tenants/')).toBe(true);
          expect(raw.includes('..')).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('recognises sweepable prefixes', () => {
    for (const p of ['tenants/', 'tenants/t1/', 'tenants/t1/jobs/j1/', 'tenants/t1/sessions/s1/']) {
      expect(isArtifactPrefix(p)).toBe(true);
    }
    for (const p of [
      '',
      'tenants',
      'tenants/t1',
      'tenants/t1/jobs/',
      'tenants/t1/jobs/j1/input/',
      'x/',
      '/tenants/',
    ]) {
      expect(isArtifactPrefix(p)).toBe(false);
    }
  });
});
