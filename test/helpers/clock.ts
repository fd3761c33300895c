import type { INestApplicationContext } from '@nestjs/common';
import { Clock } from '../../src/common/clock';

/** Runs `work` with the app's clock `days` ahead of the real time, then puts it back. */
export async function daysLater<T>(
  app: INestApplicationContext,
  days: number,
  work: () => Promise<T>,
): Promise<T> {
  const clock = app.get(Clock);
  const real = clock.now.bind(clock);
  clock.now = () => new Date(real().getTime() + days * 86_400_000);
  try {
    return await work();
  } finally {
    clock.now = real;
  }
}
