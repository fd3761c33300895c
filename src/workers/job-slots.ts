/**
 * At most `size` jobs run at once in this process; the others wait their turn, first come
 * first served. The handlers share the database pool with the web requests of the same
 * process: without a cap the queues' concurrencies (66 handlers in all) would hold every
 * connection and a page would wait behind the pipeline.
 */
export class JobSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }

  /** Jobs running now, and jobs waiting for a slot. */
  get usage(): { running: number; waiting: number } {
    return { running: this.size - this.free, waiting: this.waiting.length };
  }
}
