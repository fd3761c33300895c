import { loadConfig } from '../config/app-config';
import { FieldCipher } from './field-cipher';

const key = (fill: string) => Buffer.alloc(32, fill).toString('base64');

describe('FieldCipher', () => {
  const cipher = new FieldCipher(loadConfig({}));

  it('round-trips text and never stores the plaintext', () => {
    const sealed = cipher.encrypt('Alex Student <alex@example.invalid>');
    expect(sealed).toMatch(/^enc1:dev1:/);
    expect(sealed).not.toContain('Alex');
    expect(cipher.decrypt(sealed)).toBe('Alex Student <alex@example.invalid>');
  });

  it('uses a fresh IV every time', () => {
    expect(cipher.encrypt('same')).not.toBe(cipher.encrypt('same'));
  });

  it('refuses a tampered value', () => {
    const sealed = cipher.encrypt('secret');
    const parts = sealed.split(':');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => cipher.decrypt(parts.join(':'))).toThrow();
  });

  it('decrypts values sealed with an older key after rotation, and encrypts with the new one', () => {
    const old = new FieldCipher(loadConfig({ ENCRYPTION_KEYS: `k1:${key('a')}` }));
    const sealed = old.encrypt('rotate me');
    const rotated = new FieldCipher(
      loadConfig({ ENCRYPTION_KEYS: `k2:${key('b')},k1:${key('a')}` }),
    );
    expect(rotated.decrypt(sealed)).toBe('rotate me');
    expect(rotated.needsRotation(sealed)).toBe(true);
    expect(rotated.encrypt('x')).toMatch(/^enc1:k2:/);
    const unknown = new FieldCipher(loadConfig({ ENCRYPTION_KEYS: `k3:${key('c')}` }));
    expect(() => unknown.decrypt(sealed)).toThrow(/no key k1/);
  });

  it('gives a stable blind index that depends on the key', () => {
    expect(cipher.blindIndex('parent@example.invalid')).toBe(
      cipher.blindIndex('parent@example.invalid'),
    );
    expect(cipher.blindIndex('parent@example.invalid')).not.toBe(
      cipher.blindIndex('other@example.invalid'),
    );
    const other = new FieldCipher(loadConfig({ BLIND_INDEX_KEY: key('z') }));
    expect(other.blindIndex('parent@example.invalid')).not.toBe(
      cipher.blindIndex('parent@example.invalid'),
    );
  });
});
