/**
 * At most `size` jobs run at once in this process; the others wait their turn, first come
 * first served. The handlers share the database pool with the web requests of the same
 * process: without a cap the queues' concurrencies (66 handlers in all) would hold every
 * connection and a page would wait behind the pipeline.
 *
 * Web first: with `busy` given, only `busySize` jobs run at once while it answers true
 * (people are using the app), and the full `size` again once it answers false. The jobs
 * and the pages share one event loop; a page waits behind whatever job callbacks are
 * queued before it, so while people are browsing the pipeline runs at a walk and catches
 * up when they stop. Jobs already running are never interrupted; a waiting job starts as
 * soon as a slot is free under the current limit (re-checked every `recheckMs`).
 */
export class JobSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly size: number,
    private readonly options: { busy?: () => boolean; busySize?: number; recheckMs?: number } = {},
  ) {}

  /** Jobs allowed to run at once right now. */
  get limit(): number {
    const { busy, busySize } = this.options;
    return busy && busySize !== undefined && busy() ? Math.min(busySize, this.size) : this.size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (!this.waiting.length && this.running < this.limit) this.running++;
    else
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        this.admit(); // the limit may have risen since the last job ended
        this.watch();
      });
    try {
      return await work();
    } finally {
      this.running--;
      this.admit();
    }
  }

  /** Jobs running now, and jobs waiting for a slot. */
  get usage(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Starts waiting jobs, in arrival order, while the current limit allows. */
  private admit(): void {
    while (this.waiting.length && this.running < this.limit) {
      this.running++;
      this.waiting.shift()!();
    }
    if (!this.waiting.length && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** While jobs wait under a lowered limit, looks again for the limit to rise. */
  private watch(): void {
    if (this.timer || !this.options.busy || !this.waiting.length) return;
    this.timer = setInterval(() => this.admit(), this.options.recheckMs ?? 50);
    this.timer.unref();
  }
}
