/**
 * Group commit: concurrent calls are coalesced into one round trip (and, for writes, one
 * transaction and one commit). Natural batching: when nothing is in flight, an item goes
 * out in the same event-loop turn it arrived in (items submitted in that turn go with it),
 * so an idle store adds no latency; while a batch is in flight the next one accumulates
 * and leaves as soon as it returns. Batches hold at most `maxBatch` items.
 *
 * `run` answers per item: a value, or an Error that rejects only that item's call. When
 * `run` itself rejects, every item of the batch rejects with that error.
 */
export class Batcher<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<(O | Error)[]>,
    private readonly maxBatch: number,
    private readonly maxInFlight = 1,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.run(batch.map((b) => b.item))
        .then(
          (outs) => {
            for (const [i, b] of batch.entries()) {
              const o = outs[i];
              if (o instanceof Error) b.reject(o);
              else b.resolve(o as O);
            }
          },
          (e) => {
            for (const b of batch) b.reject(e);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}
