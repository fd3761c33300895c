import { loadConfig } from '../config/app-config';
import { FieldCipher } from './field-cipher';
import { contentHash, emailBlindIndex, emailBlindIndexNullable } from './keyed-hash';

describe('keyed hashes', () => {
  const cipher = new FieldCipher(loadConfig({}));

  it('indexes an email whatever its case and surrounding spaces', () => {
    expect(emailBlindIndex(cipher, ' Parent@Example.Invalid ')).toBe(
      emailBlindIndex(cipher, 'parent@example.invalid'),
    );
    expect(emailBlindIndex(cipher, 'parent@example.invalid')).toBe(
      cipher.blindIndex('parent@example.invalid'),
    );
    expect(emailBlindIndexNullable(cipher, null)).toBeNull();
  });

  it('keeps content hashes of different columns apart', () => {
    const value = 'parent@example.invalid';
    expect(contentHash(cipher, 'a', value)).toBe(contentHash(cipher, 'a', value));
    expect(contentHash(cipher, 'a', value)).not.toBe(contentHash(cipher, 'b', value));
    expect(contentHash(cipher, 'a', value)).not.toBe(emailBlindIndex(cipher, value));
    expect(contentHash(cipher, 'a', 'Name')).not.toBe(contentHash(cipher, 'a', 'name'));
  });

  it('tells encrypted values apart and names the active key', () => {
    expect(cipher.activeKeyId).toBe('dev1');
    expect(cipher.isEncrypted(cipher.encrypt('x'))).toBe(true);
    expect(cipher.isEncrypted('Milo Brightwater')).toBe(false);
    expect(cipher.isEncrypted('enc1::a:b:c')).toBe(false);
  });
});
