/**
 * Artifact keys are derived, never taken raw from users. These are the keys without an
 * adapter prefix (adapters add theirs, and strip it before calling `parseArtifactKey`):
 *
 *   tenants/{tenantId}/jobs/{jobId}/input/{name}
 *   tenants/{tenantId}/jobs/{jobId}/tasks/{stage}/{name}   (deterministic: a re-run overwrites)
 *   tenants/{tenantId}/jobs/{jobId}/output/{name}
 *   tenants/{tenantId}/sessions/{sessionId}/{name}
 *
 * Names: 1..200 characters from `[A-Za-z0-9._-]`, at most one `/` (one level of
 * subfolder), no `..`, no segment that is empty or starts with `.`.
 */
import { err, ok, type Result } from 'neverthrow';
import { type DalstonError, validationFailed } from './errors.js';

export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const STAGE_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const SEGMENT_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
export const MAX_ARTIFACT_NAME_LENGTH = 200;

export type ArtifactKind = 'input' | 'task' | 'output' | 'session';

export interface ParsedArtifactKey {
  tenantId: string;
  jobId?: string;
  sessionId?: string;
  kind: ArtifactKind;
  stage?: string;
  name: string;
}

/** Checks an artifact name; the error's `field` is `name`. */
export function validateArtifactName(name: unknown): Result<string, DalstonError> {
  const fail = (why: string) => err(validationFailed('name', why));
  if (typeof name !== 'string') return fail('artifact name must be a string');
  if (name.length < 1 || name.length > MAX_ARTIFACT_NAME_LENGTH) {
    return fail(`artifact name must be 1..${MAX_ARTIFACT_NAME_LENGTH} characters`);
  }
  if (name.includes('..')) return fail('artifact name must not contain ".."');
  const segments = name.split('/');
  if (segments.length > 2) return fail('artifact name may have at most one "/" (one subfolder level)');
  for (const seg of segments) {
    if (!SEGMENT_PATTERN.test(seg)) {
      return fail(
        'artifact name segments must be non-empty, use [A-Za-z0-9._-] and not start with "." or "/"',
      );
    }
  }
  return ok(name);
}

function check(field: string, value: string, pattern: RegExp): void {
  if (!pattern.test(value)) throw validationFailed(field, `must match ${pattern.source}`);
}

function checkName(name: string): void {
  const r = validateArtifactName(name);
  if (r.isErr()) throw r.error;
}

/** `tenants/{t}/`. Throws VALIDATION_FAILED on a malformed id. */
export function tenantPrefix(tenantId: string): string {
  check('tenantId', tenantId, ID_PATTERN);
  return `tenants/${tenantId}/`;
}

/** `tenants/{t}/jobs/{j}/`. Throws VALIDATION_FAILED on a malformed id. */
export function jobPrefix(tenantId: string, jobId: string): string {
  check('jobId', jobId, ID_PATTERN);
  return `${tenantPrefix(tenantId)}jobs/${jobId}/`;
}

/** `tenants/{t}/sessions/{s}/`. Throws VALIDATION_FAILED on a malformed id. */
export function sessionPrefix(tenantId: string, sessionId: string): string {
  check('sessionId', sessionId, ID_PATTERN);
  return `${tenantPrefix(tenantId)}sessions/${sessionId}/`;
}

/** Throw VALIDATION_FAILED on a malformed id, stage or name: validate user names first with `validateArtifactName`. */
export function jobInputKey(tenantId: string, jobId: string, name: string): string {
  checkName(name);
  return `${jobPrefix(tenantId, jobId)}input/${name}`;
}

export function taskArtifactKey(tenantId: string, jobId: string, stage: string, name: string): string {
  check('stage', stage, STAGE_PATTERN);
  checkName(name);
  return `${jobPrefix(tenantId, jobId)}tasks/${stage}/${name}`;
}

export function jobOutputKey(tenantId: string, jobId: string, name: string): string {
  checkName(name);
  return `${jobPrefix(tenantId, jobId)}output/${name}`;
}

export function sessionArtifactKey(tenantId: string, sessionId: string, name: string): string {
  checkName(name);
  return `${sessionPrefix(tenantId, sessionId)}${name}`;
}

function parseJobKey(tenantId: string, rest: string[]): ParsedArtifactKey | null {
  const [jobId, kind, ...tail] = rest;
  if (jobId === undefined || !ID_PATTERN.test(jobId)) return null;
  if (kind === 'input' || kind === 'output') return { tenantId, jobId, kind, name: tail.join('/') };
  if (kind !== 'tasks') return null;
  const [stage, ...nameParts] = tail;
  if (stage === undefined || !STAGE_PATTERN.test(stage)) return null;
  return { tenantId, jobId, kind: 'task', stage, name: nameParts.join('/') };
}

function parseParts(parts: string[]): ParsedArtifactKey | null {
  const [root, tenantId, area, ...rest] = parts;
  if (root !== 'tenants' || tenantId === undefined || !ID_PATTERN.test(tenantId)) return null;
  if (area === 'jobs') return parseJobKey(tenantId, rest);
  if (area !== 'sessions') return null;
  const [sessionId, ...nameParts] = rest;
  if (sessionId === undefined || !ID_PATTERN.test(sessionId)) return null;
  return { tenantId, sessionId, kind: 'session', name: nameParts.join('/') };
}

/**
 * Accepts exactly the derived key shapes (without adapter prefix) and returns their parts,
 * or VALIDATION_FAILED (`field: 'key'`). Adapters call it to refuse raw keys.
 */
export function parseArtifactKey(key: unknown): Result<ParsedArtifactKey, DalstonError> {
  const refuse = () =>
    err(validationFailed('key', 'not a derived artifact key (tenants/{t}/jobs/… or tenants/{t}/sessions/…)'));
  if (typeof key !== 'string' || key.length > 512) return refuse();
  const parsed = parseParts(key.split('/'));
  if (!parsed || validateArtifactName(parsed.name).isErr()) return refuse();
  return ok(parsed);
}

/** True for `tenants/`, `tenants/{t}/`, `tenants/{t}/jobs/{j}/` and `tenants/{t}/sessions/{s}/`. */
export function isArtifactPrefix(prefix: unknown): boolean {
  if (typeof prefix !== 'string' || !prefix.endsWith('/')) return false;
  const parts = prefix.slice(0, -1).split('/');
  if (parts[0] !== 'tenants') return false;
  if (parts.length === 1) return true;
  if (!ID_PATTERN.test(parts[1] ?? '')) return false;
  if (parts.length === 2) return true;
  return (
    parts.length === 4 && (parts[2] === 'jobs' || parts[2] === 'sessions') && ID_PATTERN.test(parts[3] ?? '')
  );
}
