import { JobSlots } from './job-slots';

describe('JobSlots', () => {
  it('runs at most its size at once, in arrival order, and frees a slot when a job fails', async () => {
    const slots = new JobSlots(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const job = (i: number, fail = false) =>
      slots.run(async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        if (fail) throw new Error(`job ${i} failed`);
        return i;
      });
    const results = [job(1, true), job(2), job(3), job(4)].map((p) =>
      p.then(
        (v) => `ok ${v}`,
        (e: Error) => e.message,
      ),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2]);
    expect(slots.usage).toEqual({ running: 2, waiting: 2 });
    releases.shift()!(); // job 1 fails: job 3 takes its slot
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2, 3]);
    while (releases.length) {
      releases.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(results)).toEqual(['job 1 failed', 'ok 2', 'ok 3', 'ok 4']);
    expect(peak).toBe(2);
    expect(slots.usage).toEqual({ running: 0, waiting: 0 });
  });
});

describe('JobSlots, web first', () => {
  const tick = () => new Promise((r) => setImmediate(r));

  it('runs one job at a time while the web is busy, and the full size once it is quiet', async () => {
    let busy = true;
    const slots = new JobSlots(3, { busy: () => busy, busySize: 1, recheckMs: 5 });
    const releases: (() => void)[] = [];
    const started: number[] = [];
    const jobs = [1, 2, 3, 4].map((i) =>
      slots.run(async () => {
        started.push(i);
        await new Promise<void>((resolve) => releases.push(resolve));
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([1]);
    expect(slots.usage).toEqual({ running: 1, waiting: 3 });

    // The first job ends while people still browse: exactly one more starts.
    releases.shift()!();
    await tick();
    await tick();
    expect(started).toEqual([1, 2]);

    // They stop: within a re-check the waiting jobs fill the full size, in arrival order.
    busy = false;
    await new Promise((r) => setTimeout(r, 30));
    expect(started).toEqual([1, 2, 3, 4]);
    expect(slots.usage).toEqual({ running: 3, waiting: 0 });

    // Busy again: running jobs go on; a new one waits until the count is under the busy limit.
    busy = true;
    const fifth = slots.run(async () => {
      started.push(5);
      return 5;
    });
    releases.shift()!();
    await tick();
    await tick();
    expect(started).toEqual([1, 2, 3, 4]);
    while (releases.length) releases.shift()!();
    expect(await Promise.all([...jobs, fifth])).toEqual([1, 2, 3, 4, 5]);
    expect(slots.usage).toEqual({ running: 0, waiting: 0 });
  });
});

describe('JobSlots, web first, long jobs', () => {
  it('does not let a long job hold up the short ones while the web is busy', async () => {
    const slots = new JobSlots(4, { busy: () => true, busySize: 1, longJobMs: 40, recheckMs: 5 });
    let endLong!: () => void;
    const long = slots.run(() => new Promise<void>((resolve) => (endLong = resolve)));
    const started: string[] = [];
    const short = slots.run(async () => {
      started.push('short');
    });
    await new Promise((r) => setImmediate(r));
    // The long job started a moment ago: it counts, and the short one waits.
    expect(started).toEqual([]);
    expect(slots.usage).toEqual({ running: 1, waiting: 1 });
    // Once it has run longer than longJobMs it no longer counts against the busy limit.
    await new Promise((r) => setTimeout(r, 80));
    expect(started).toEqual(['short']);
    await short;
    expect(slots.usage).toEqual({ running: 1, waiting: 0 });
    endLong();
    await long;
    expect(slots.usage).toEqual({ running: 0, waiting: 0 });
  });
});
