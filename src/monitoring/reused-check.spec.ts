import { ReusedCheck } from './reused-check';

type Result = { up: boolean; n: number };

/** A check whose answers the test releases one at a time, counting the calls. */
function controlled() {
  const pending: ((r: Result) => void)[] = [];
  let calls = 0;
  const check = () => {
    calls++;
    return new Promise<Result>((resolve) => pending.push(resolve));
  };
  return {
    check,
    calls: () => calls,
    answer: (up: boolean) => pending.shift()!({ up, n: calls }),
  };
}

describe('ReusedCheck', () => {
  afterEach(() => jest.useRealTimers());

  it('makes the first probe wait, then answers from memory without calling the dependency', async () => {
    jest.useFakeTimers({ now: 0 });
    const c = controlled();
    const reused = new ReusedCheck(c.check, 500, 2_000);
    const first = reused.get();
    const concurrent = reused.get();
    c.answer(true);
    await expect(first).resolves.toEqual({ up: true, n: 1 });
    await expect(concurrent).resolves.toEqual({ up: true, n: 1 });
    jest.setSystemTime(400);
    await expect(reused.get()).resolves.toEqual({ up: true, n: 1 });
    expect(c.calls()).toBe(1);
  });

  it('after refreshMs answers at once and refreshes in the background', async () => {
    jest.useFakeTimers({ now: 0 });
    const c = controlled();
    const reused = new ReusedCheck(c.check, 500, 2_000);
    const first = reused.get();
    c.answer(true);
    await first;
    jest.setSystemTime(600);
    // Answered from memory although the dependency has not answered the new check.
    await expect(reused.get()).resolves.toEqual({ up: true, n: 1 });
    await expect(reused.get()).resolves.toEqual({ up: true, n: 1 });
    expect(c.calls()).toBe(2);
    c.answer(true);
    await Promise.resolve();
    await Promise.resolve();
    jest.setSystemTime(700);
    await expect(reused.get()).resolves.toEqual({ up: true, n: 2 });
  });

  it('stops trusting a success after reuseMs when the background checks hang', async () => {
    jest.useFakeTimers({ now: 0 });
    const c = controlled();
    const reused = new ReusedCheck(c.check, 500, 2_000);
    const first = reused.get();
    c.answer(true);
    await first;
    jest.setSystemTime(600);
    await reused.get(); // starts a background check that does not answer yet
    jest.setSystemTime(2_100);
    let settled = false;
    const waiting = reused.get().then((r) => ((settled = true), r));
    await Promise.resolve();
    expect(settled).toBe(false);
    c.answer(false);
    await expect(waiting).resolves.toEqual({ up: false, n: 2 });
  });

  it('never reuses a failure, and forget() makes the next probe wait', async () => {
    jest.useFakeTimers({ now: 0 });
    const c = controlled();
    const reused = new ReusedCheck(c.check, 500, 2_000);
    const failed = reused.get();
    c.answer(false);
    await expect(failed).resolves.toEqual({ up: false, n: 1 });
    const retried = reused.get();
    expect(c.calls()).toBe(2);
    c.answer(true);
    await expect(retried).resolves.toEqual({ up: true, n: 2 });

    reused.forget();
    const afterDrop = reused.get();
    expect(c.calls()).toBe(3);
    c.answer(false);
    await expect(afterDrop).resolves.toEqual({ up: false, n: 3 });
  });

  it('a check that began before forget() leaves no success behind', async () => {
    jest.useFakeTimers({ now: 0 });
    const c = controlled();
    const reused = new ReusedCheck(c.check, 500, 2_000);
    const inFlight = reused.get();
    reused.forget();
    c.answer(true);
    await inFlight;
    void reused.get();
    expect(c.calls()).toBe(2);
  });
});
