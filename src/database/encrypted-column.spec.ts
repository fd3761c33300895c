import { loadConfig } from '../config/app-config';
import { FieldCipher } from '../security/field-cipher';
import { encrypted, registerFieldCipher, registeredFieldCipher } from './encrypted-column';

describe('encrypted column transformer', () => {
  it('explains itself when no cipher was registered (code outside the app)', () => {
    expect(() => registeredFieldCipher()).toThrow(/no FieldCipher registered/);
    expect(() => encrypted.from('enc1:dev1:a:b:c')).toThrow(/no FieldCipher registered/);
  });

  it('encrypts on the way in and decrypts on the way out; null stays null', () => {
    const cipher = new FieldCipher(loadConfig({}));
    registerFieldCipher(cipher);
    const stored = encrypted.to('Milo Brightwater') as string;
    expect(stored).toMatch(/^enc1:dev1:/);
    expect(stored).not.toContain('Milo');
    expect(encrypted.from(stored)).toBe('Milo Brightwater');
    expect(encrypted.to(null)).toBeNull();
    expect(encrypted.from(null)).toBeNull();
    expect(encrypted.to(undefined)).toBeUndefined();
    expect(() => encrypted.to(42)).toThrow(TypeError);
    // A plaintext value (a row from before encryption) is refused, not passed through.
    expect(() => encrypted.from('Milo Brightwater')).toThrow(/not an encrypted value/);
  });
});
