import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** Runs `src/main.ts` as a real process and collects what it prints until it exits. */
function boot(
  env: Record<string, string>,
  timeoutMs = 15_000,
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/main.ts'],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          DOTENV_CONFIG_PATH: '/nonexistent',
          PORT: '0',
          ...env,
        },
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

describe('boot failures', () => {
  it('exits within 10 s with one line naming REDIS_URL when Redis does not answer', async () => {
    const { code, output, ms } = await boot({
      REDIS_URL: 'redis://127.0.0.1:1',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
    });
    expect(code).toBe(1);
    expect(ms).toBeLessThan(10_000);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^TutorMax cannot start: Redis does not answer at REDIS_URL=redis:\/\/127\.0\.0\.1:1 .*redis-server/,
    );
  });

  it('exits within 10 s with one line naming DATABASE_URL when PostgreSQL does not answer', async () => {
    const { code, output, ms } = await boot({
      DATABASE_URL: 'postgres://tutormax:s3cret@127.0.0.1:1/tutormax',
    });
    expect(code).toBe(1);
    expect(ms).toBeLessThan(10_000);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^TutorMax cannot start: PostgreSQL does not answer at DATABASE_URL=postgres:\/\/tutormax:\*\*\*@127\.0\.0\.1:1\/tutormax/,
    );
    expect(output).not.toContain('s3cret');
  });

  it('prints one line per bad configuration value', async () => {
    const { code, output } = await boot({
      PORT: 'abc',
      ROLE: 'everything',
      DATABASE_URL: 'mysql://x',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/TutorMax cannot start: invalid configuration:/);
    expect(output).toMatch(/^ {2}- PORT.*\(got "abc"\)$/m);
    expect(output).toMatch(/^ {2}- ROLE.*\(got "everything"\)$/m);
    expect(output).toMatch(/^ {2}- DATABASE_URL must be a postgres:\/\/ URL \(got "\*\*\*"\)$/m);
  });

  it('refuses default or short secrets in production', async () => {
    const { code, output } = await boot({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      SMTP_URL: 'smtp://127.0.0.1:25',
      PUBLIC_URL: 'https://tutormax.example.com',
      API_KEYS: 'dev-api-key',
    });
    expect(code).toBe(1);
    expect(output).toMatch(
      /API_KEYS: each key must be at least 32 random characters in production/,
    );
  });
});
