/**
 * @dalston/core/tsyringe: for hosts that wire their application with tsyringe. Registers an
 * engine's services into the host's own container under typed tokens, so the host's
 * classes can `@inject(dalstonToken('jobs'))` them or resolve them by token. A host that
 * does not use tsyringe never imports this entry; nothing else in `@dalston/core` exposes
 * a container. The engine's internal wiring (its own child container, internal tokens and
 * service classes) stays private.
 */
import type { Dalston } from './create-dalston.js';

declare const resolvesTo: unique symbol;
/** A symbol token that resolves to a `T` (a tsyringe `InjectionToken`). */
export type DalstonToken<T> = symbol & { readonly [resolvesTo]?: T };

/** What a token can name: `engine` (the `Dalston` object) or one of its fields (`jobs`, `config`…). */
export type DalstonTokenName =
  | 'engine'
  | { [K in keyof Dalston]: Dalston[K] extends Function ? never : K }[keyof Dalston];

/** What the token of `name` resolves to. */
export type DalstonTokenTarget<N extends DalstonTokenName> = N extends keyof Dalston ? Dalston[N] : Dalston;

/**
 * The token under which `registerDalston` registers `name`: `dalstonToken('engine')` the
 * engine, `dalstonToken('jobs')` its jobs service, and so on. The same symbol across
 * copies of the package (`Symbol.for`).
 */
export function dalstonToken<N extends DalstonTokenName>(name: N): DalstonToken<DalstonTokenTarget<N>> {
  return Symbol.for(`dalston.host.${name}`);
}

/** The part of a tsyringe `DependencyContainer` that `registerDalston` calls (any tsyringe 4 container). */
export interface ValueRegistry {
  register(token: symbol, provider: { useValue: unknown }): unknown;
}

/**
 * Registers `dalston` (token `dalstonToken('engine')`) and each of its services and its
 * config (`dalstonToken('jobs')`, …) in `container` as values. Returns the container.
 * The services are the engine's own instances, guarded as on the `Dalston` object.
 */
export function registerDalston<C extends ValueRegistry>(container: C, dalston: Dalston): C {
  container.register(dalstonToken('engine'), { useValue: dalston });
  for (const [name, value] of Object.entries(dalston)) {
    if (typeof value === 'function') continue;
    container.register(dalstonToken(name as DalstonTokenName), { useValue: value });
  }
  return container;
}
