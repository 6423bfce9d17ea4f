/**
 * Dependency injection without decorators: a service class names the token of each
 * constructor parameter, in order, in a static `inject` tuple (type-checked against the
 * parameters), and `registerService` registers it in a container as a per-container
 * singleton built by a factory. Loads `reflect-metadata` before tsyringe (tsyringe
 * refuses to load without it), whatever the host imported first.
 */
import 'reflect-metadata';
import { type DependencyContainer, instanceCachingFactory } from 'tsyringe';
import type { Token } from '../../tokens.js';

export { container, type DependencyContainer, instanceCachingFactory } from 'tsyringe';

/** A dependency: a typed symbol token, or another service class. */
// biome-ignore lint/suspicious/noExplicitAny: any constructor shape
export type Dep<T> = Token<T> | (abstract new (...args: any[]) => T);

export interface ServiceClass<T, A extends unknown[]> {
  new (...args: A): T;
  readonly inject: { readonly [K in keyof A]: Dep<A[K]> };
}

/** Registers `cls` in `c`: one instance per container, its parameters resolved from `cls.inject`. */
export function registerService<T, A extends unknown[]>(
  c: DependencyContainer,
  cls: ServiceClass<T, A>,
): void {
  c.register(cls, {
    useFactory: instanceCachingFactory(
      (r) => new cls(...(cls.inject.map((d) => r.resolve(d as never)) as A)),
    ),
  });
}
