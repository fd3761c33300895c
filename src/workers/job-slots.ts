/**
 * At most `size` jobs run at once in this process; the others wait their turn, first come
 * first served. The handlers share the database pool with the web requests of the same
 * process: without a cap the queues' concurrencies (66 handlers in all) would hold every
 * connection and a page would wait behind the pipeline.
 *
 * Web first: with `busy` given, while it answers true (people are using the app) a job
 * starts only when fewer than `busySize` jobs started in the last `longJobMs` are still
 * running; once it answers false the full `size` applies again. The jobs and the pages
 * share one event loop, and a page waits behind every job callback queued before it, so
 * while people browse the pipeline runs at a walk and catches up when they stop. A job
 * running longer than `longJobMs` (training, a nightly run) stops counting against the
 * busy limit: it would otherwise hold up every short job, the uptime checks included,
 * for as long as it runs. Running jobs are never interrupted; while jobs wait under the
 * busy limit it is looked at again every `recheckMs`.
 */
export class JobSlots {
  /** Start times (ms) of the running jobs. */
  private readonly started = new Set<{ at: number }>();
  private readonly waiting: ((slot: { at: number }) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly size: number,
    private readonly options: {
      busy?: () => boolean;
      busySize?: number;
      longJobMs?: number;
      recheckMs?: number;
    } = {},
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    const slot = this.tryStart() ?? (await this.wait());
    try {
      return await work();
    } finally {
      this.started.delete(slot);
      this.admit();
    }
  }

  /** Jobs running now, and jobs waiting for a slot. */
  get usage(): { running: number; waiting: number } {
    return { running: this.started.size, waiting: this.waiting.length };
  }

  /** Whether one more job may start now. */
  private mayStart(now = Date.now()): boolean {
    if (this.started.size >= this.size) return false;
    const { busy, busySize, longJobMs = 2_000 } = this.options;
    if (!busy || busySize === undefined || !busy()) return true;
    let recent = 0;
    for (const s of this.started) if (now - s.at < longJobMs) recent++;
    return recent < busySize;
  }

  private tryStart(): { at: number } | undefined {
    return this.waiting.length || !this.mayStart() ? undefined : this.take();
  }

  private take(): { at: number } {
    const slot = { at: Date.now() };
    this.started.add(slot);
    return slot;
  }

  private wait(): Promise<{ at: number }> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.admit(); // the limit may have risen since the last job ended
      if (this.waiting.length && !this.timer && this.options.busy) {
        this.timer = setInterval(() => this.admit(), this.options.recheckMs ?? 50);
        this.timer.unref();
      }
    });
  }

  /** Starts waiting jobs, in arrival order, while the current limit allows. */
  private admit(): void {
    while (this.waiting.length && this.mayStart()) this.waiting.shift()!(this.take());
    if (!this.waiting.length && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
