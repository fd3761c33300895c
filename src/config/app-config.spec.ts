import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, VARIABLES } from './app-config';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.ROLE).toBe('all');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.MIGRATIONS_RUN).toBe(true);
  });

  it('parses booleans, integers and lists', () => {
    const config = loadConfig({ PORT: '8080', MIGRATIONS_RUN: 'false', API_KEYS: 'a, b,,c' });
    expect(config.PORT).toBe(8080);
    expect(config.MIGRATIONS_RUN).toBe(false);
    expect(config.API_KEYS).toEqual(['a', 'b', 'c']);
  });

  function problemsOf(env: Record<string, string>): string[] {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error('expected a ConfigError');
  }

  it('reports one line per bad value', () => {
    const problems = problemsOf({ PORT: 'eighty', ROLE: 'both', REDIS_URL: 'localhost' });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^PORT/);
    expect(problems.join('\n')).toMatch(/ROLE/);
    expect(problems.join('\n')).toMatch(/REDIS_URL must be a redis/);
  });

  it('refuses short or example secrets and missing services in production', () => {
    const text = problemsOf({ NODE_ENV: 'production', API_KEYS: 'dev-api-key' }).join('\n');
    expect(text).toMatch(/DATABASE_URL is required/);
    expect(text).toMatch(/SMTP_URL is required/);
    expect(text).toMatch(/API_KEYS: each key must be at least 32/);
    expect(text).toMatch(/JWT_SECRET must be set in production/);
    expect(text).toMatch(/ENCRYPTION_KEYS must be set in production/);
    expect(text).toMatch(/METRICS_TOKEN must be set to at least 32/);
    const short = problemsOf({ NODE_ENV: 'production', METRICS_TOKEN: 'short-token' }).join('\n');
    expect(short).toMatch(/METRICS_TOKEN must be set to at least 32/);
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db:5432/tutormax',
      SMTP_URL: 'smtp://mail:25',
      PUBLIC_URL: 'https://tutormax.example.com',
      API_KEYS: 'k'.repeat(40),
      JWT_SECRET: 'j'.repeat(48),
      ENCRYPTION_KEYS: `p1:${Buffer.alloc(32, 7).toString('base64')}`,
      BLIND_INDEX_KEY: Buffer.alloc(32, 9).toString('base64'),
      METRICS_TOKEN: 'm'.repeat(40),
    });
    expect(config.isProduction).toBe(true);
  });
});

describe('.env.example', () => {
  it('documents every variable AppConfig reads, with its default', () => {
    const example = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    for (const name of Object.keys(VARIABLES)) {
      const line = example.split('\n').find((l) => l.replace(/^# /, '').startsWith(`${name}=`));
      expect({ name, documented: Boolean(line) }).toEqual({ name, documented: true });
      const value = defaults[name];
      if (line && !line.startsWith('#') && value !== undefined && !Array.isArray(value)) {
        const written = line.slice(name.length + 1).replace(/^"|"$/g, '');
        expect({ name, written }).toEqual({ name, written: String(value) });
      }
    }
  });
});

describe('NAME_FILE secrets', () => {
  it('reads a variable from the file named by NAME_FILE, trimmed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-secret-'));
    writeFileSync(join(dir, 'jwt'), `${'s'.repeat(40)}\n`);
    const config = loadConfig({ JWT_SECRET_FILE: join(dir, 'jwt') });
    expect(config.JWT_SECRET).toBe('s'.repeat(40));
    // an explicit value wins over the file
    expect(
      loadConfig({ JWT_SECRET_FILE: join(dir, 'jwt'), JWT_SECRET: 'x'.repeat(40) }).JWT_SECRET,
    ).toBe('x'.repeat(40));
  });
});
