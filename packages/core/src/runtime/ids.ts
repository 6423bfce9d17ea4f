import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '../ports/id-generator.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: sorts byte-wise

function encodeTime(ms: number): string {
  let out = '';
  let n = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/**
 * Time-ordered ids (ULID layout: 48-bit ms time + 80 random bits, monotonic within a
 * millisecond), with an optional `kind_` prefix: `job_01JD…`. Ids from one generator
 * sort byte-wise in creation order.
 */
export function timeOrderedIds(now: () => number = Date.now): IdGenerator {
  let lastMs = -1;
  let lastRandom: number[] = [];
  return {
    next(kind?: string) {
      const ms = now();
      if (ms <= lastMs) {
        // Same (or earlier) millisecond: increment the random part to stay monotonic.
        for (let i = lastRandom.length - 1; i >= 0; i--) {
          if (lastRandom[i]! < 31) {
            lastRandom[i]!++;
            break;
          }
          lastRandom[i] = 0;
        }
      } else {
        lastMs = ms;
        lastRandom = Array.from(randomBytes(16), (b) => b % 32);
      }
      const id = encodeTime(lastMs) + lastRandom.map((d) => ALPHABET[d]).join('');
      return kind ? `${kind}_${id}` : id;
    },
  };
}
