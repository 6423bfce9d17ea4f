/**
 * Key layout. Every key carries the configured prefix and a hash tag, so each multi-key
 * script touches one slot and the adapter runs unchanged on a Redis Cluster:
 *
 * - one queue:          `{<prefix>:q:<queue>}:<part>` (ready, delayed, leased, body, meta,
 *                       seq, dead, deadids, signal, deadnew)
 * - the store's epoch:  `{<prefix>:epoch}` (see WorkQueue.epoch)
 * - one session:        `{<prefix>:s:<tenant>:<session>}`
 * - a tenant's index:   `{<prefix>:si:<tenant>}:exp` and `:lex`
 * - one rate limit:     `{<prefix>:rl:<key>}`; one slot set: `{<prefix>:sl:<key>}` (holder ->
 *                       expiry) and `{<prefix>:sl:<key>}:at` (holder -> confirmation time)
 * - event channels:     `<prefix>:ev:<tenant>` and `<prefix>:ev:<tenant>:<job>` (pub/sub)
 *
 * Names are escaped (`%`, `{`, `}`, `:`) so a name can neither end a hash tag early nor
 * collide with another name's keys.
 */
const escapeName = (s: string): string =>
  s.replace(/[%{}:]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

export const QUEUE_PARTS = [
  'ready',
  'delayed',
  'leased',
  'body',
  'meta',
  'seq',
  'dead',
  'deadids',
  'signal',
  'deadnew',
] as const;

export class KeyLayout {
  constructor(readonly prefix: string) {}

  /** The KEYS every queue script takes, in the order of queue-common.lua. */
  queue(queue: string): string[] {
    const tag = `{${this.prefix}:q:${escapeName(queue)}}`;
    return QUEUE_PARTS.map((part) => `${tag}:${part}`);
  }

  /** The wake-up list of a queue (the ninth of `queue()`). */
  queueSignal(queue: string): string {
    return `{${this.prefix}:q:${escapeName(queue)}}:signal`;
  }

  /** The key holding the store's generation marker. */
  epoch(): string {
    return `{${this.prefix}:epoch}`;
  }

  session(tenantId: string, sessionId: string): string {
    return `{${this.prefix}:s:${escapeName(tenantId)}:${escapeName(sessionId)}}`;
  }

  /** [exp, lex] of a tenant's session index. */
  sessionIndex(tenantId: string): [string, string] {
    const tag = `{${this.prefix}:si:${escapeName(tenantId)}}`;
    return [`${tag}:exp`, `${tag}:lex`];
  }

  rateLimit(key: string): string {
    return `{${this.prefix}:rl:${escapeName(key)}}`;
  }

  slots(key: string): string {
    return `{${this.prefix}:sl:${escapeName(key)}}`;
  }

  /** [slots, confirmed] of a slot set: the KEYS of the slot scripts (see slot-common.lua). */
  slotSet(key: string): [string, string] {
    const slots = this.slots(key);
    return [slots, `${slots}:at`];
  }

  tenantChannel(tenantId: string): string {
    return `${this.prefix}:ev:${escapeName(tenantId)}`;
  }

  jobChannel(tenantId: string, jobId: string): string {
    return `${this.prefix}:ev:${escapeName(tenantId)}:${escapeName(jobId)}`;
  }

  /** A pattern matching every key of this prefix (for tests and cleanup). */
  get pattern(): string {
    return `{${this.prefix}:*`;
  }
}
