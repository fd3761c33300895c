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

/** Fake time at 0, a controlled check, and a ReusedCheck over it (refresh 0.5 s, reuse 2 s). */
function setup() {
  jest.useFakeTimers({ now: 0 });
  const c = controlled();
  return { c, reused: new ReusedCheck(c.check, 500, 2_000) };
}

/** As setup(), with one success remembered from t = 0. */
async function afterOneSuccess() {
  const s = setup();
  const first = s.reused.get();
  s.c.answer(true);
  await first;
  return s;
}

describe('ReusedCheck', () => {
  afterEach(() => jest.useRealTimers());

  it('makes the first probe wait, then answers from memory without calling the dependency', async () => {
    const { c, reused } = setup();
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
    const { c, reused } = await afterOneSuccess();
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
    const { c, reused } = await afterOneSuccess();
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
    const { c, reused } = setup();
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
    const { c, reused } = setup();
    const inFlight = reused.get();
    reused.forget();
    c.answer(true);
    await inFlight;
    void reused.get();
    expect(c.calls()).toBe(2);
  });
});
