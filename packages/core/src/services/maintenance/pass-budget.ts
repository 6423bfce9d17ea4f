/**
 * The time budget of one maintenance pass, on the engine's clock: a pass pages until its
 * work is done or the budget is spent, then keeps its cursor so the next pass resumes
 * there. At least one page is always done, so a pass always makes progress.
 */
import type { Clock } from '../../ports/clock.js';

export class PassBudget {
  private readonly deadline: number;

  constructor(
    private readonly clock: Clock,
    budgetMs: number,
  ) {
    this.deadline = clock.now() + budgetMs;
  }

  /** True once the pass has used its budget: stop after the current page. */
  get spent(): boolean {
    return this.clock.now() >= this.deadline;
  }
}

/** Runs `fn` over `items`, at most `width` at a time; resolves with the results in order. */
export async function mapLimited<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return out;
}
