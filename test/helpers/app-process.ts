import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface AppProcess {
  pid: number;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves when it printed a line matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /**
   * Sends a signal and resolves once it exits. After a graceful shutdown Nest
   * re-raises the signal, so the process ends by that signal (code null).
   */
  stop(
    signal: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/**
 * Runs `src/main.ts` as a real process (as test/boot.e2e-spec.ts does), with
 * only the given environment, and resolves once it says it is running.
 */
export async function startAppProcess(env: Record<string, string>): Promise<AppProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', 'src/main.ts'],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DOTENV_CONFIG_PATH: '/nonexistent',
        NODE_ENV: 'test',
        LOG_LEVEL: 'log',
        NO_COLOR: '1',
        ...env,
      },
    },
  );
  let output = '';
  const listeners = new Set<() => void>();
  const append = (d: Buffer) => {
    output += d.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  // 'close', not 'exit': 'exit' may come before the last lines arrive through the pipes.
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );

  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(output)) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`no output matching ${String(pattern)} after ${timeoutMs} ms:\n${output}`),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      void exited.then(() => {
        if (!pattern.test(output)) {
          cleanup();
          reject(new Error(`the process exited before printing ${String(pattern)}:\n${output}`));
        }
      });
      check();
    });

  await waitForOutput(/TutorMax (worker )?is running/);
  return {
    pid: child.pid!,
    output: () => output,
    waitForOutput,
    async stop(signal, timeoutMs = 40_000) {
      const started = Date.now();
      if (child.exitCode !== null || child.signalCode !== null)
        return { code: child.exitCode, signal: child.signalCode, ms: 0 };
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          exited,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              child.kill('SIGKILL');
              reject(new Error(`still running ${timeoutMs} ms after ${signal}:\n${output}`));
            }, timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
      return { code: child.exitCode, signal: child.signalCode, ms: Date.now() - started };
    },
  };
}
