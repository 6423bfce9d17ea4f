/** Parsers for option values: each throws VALIDATION_FAILED naming the option. */
import { DalstonError } from '@dalston/core';
import { InvalidArgumentError } from 'commander';

/** A positive integer in [min, max]. */
export const intIn = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
  }
  return n;
};

/** An ISO 8601 time or epoch milliseconds, as epoch milliseconds. */
export const time = (value: string) => {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected an ISO 8601 time or epoch milliseconds');
  return n;
};

/** A comma-separated list of values, each one of `allowed`. */
export const oneOfList = (allowed: readonly string[]) => (value: string, previous: string[] | undefined) => {
  const items = value.split(',').map((s) => s.trim());
  const bad = items.find((s) => !allowed.includes(s));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not one of ${allowed.join(', ')}`);
  return [...(previous ?? []), ...items];
};

export const required = (name: string, value: string | undefined): string => {
  if (value === undefined || value === '') {
    throw new DalstonError('VALIDATION_FAILED', `${name} is required`, { field: name });
  }
  return value;
};
