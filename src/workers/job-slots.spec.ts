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
