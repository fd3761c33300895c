/** A success is refreshed in the background once this old... */
export const REFRESH_MS = 500;
/** ...and trusted this long (a dependency that stops answering is reported within it). */
export const REUSE_MS = 2_000;

/**
 * A dependency check behind a load balancer's readiness probe, answered from
 * memory while the dependency is known to answer:
 *
 * - a success is served for `reuseMs`; once it is `refreshMs` old the next
 *   probe starts one check in the background and is answered at once, so
 *   under load a probe never waits for PostgreSQL or Redis to get round to a
 *   `SELECT 1` or a `PING` (they answer the check, just not within the probe's
 *   budget when they are busy with real work);
 * - with no success younger than `reuseMs` (the first probe, after a failure,
 *   after `forget()`, or when the background checks stopped succeeding) the
 *   probe waits for a check of its own;
 * - a failure is never reused; concurrent probes share one check in flight.
 *
 * So a dependency that goes away is reported within `reuseMs` (at once when
 * its connection drops and the owner calls `forget()`), and one that comes
 * back on the next probe.
 */
export class ReusedCheck<T extends { up: boolean }> {
  private success?: { at: number; result: T };
  private inFlight?: Promise<T>;
  /** Bumped by forget(): a check that began before it cannot leave a success behind. */
  private generation = 0;

  constructor(
    private readonly check: () => Promise<T>,
    private readonly refreshMs = REFRESH_MS,
    private readonly reuseMs = REUSE_MS,
  ) {}

  get(): Promise<T> {
    const age = this.success ? Date.now() - this.success.at : Infinity;
    if (age < this.reuseMs) {
      if (age >= this.refreshMs) void this.run().catch(() => undefined);
      return Promise.resolve(this.success!.result);
    }
    return this.run();
  }

  /** Drops the remembered success (its connection closed): the next probe waits for a check. */
  forget(): void {
    this.success = undefined;
    this.generation++;
  }

  private run(): Promise<T> {
    if (this.inFlight) return this.inFlight;
    const started = Date.now();
    const generation = this.generation;
    const settle = (result?: T) => {
      if (generation === this.generation)
        this.success = result?.up ? { at: started, result } : undefined;
    };
    this.inFlight = this.check()
      .then(
        (result) => {
          settle(result);
          return result;
        },
        (error: unknown) => {
          settle();
          throw error;
        },
      )
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }
}
