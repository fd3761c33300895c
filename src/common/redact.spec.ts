import { redactSecrets } from './redact';

describe('redactSecrets', () => {
  it.each([
    ['Authorization: Bearer abc.def-ghi', 'Authorization: Bearer [redacted]'],
    ['token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature here', 'token [jwt] here'],
    ['key tmk_AbCdEfGhIjKlMnOp used', 'key tmk_[redacted] used'],
    ['GET /reset-password?token=s3cr3tvalue&x=1', 'GET /reset-password?token=[redacted]&x=1'],
    ['{"email":"a@b.c","password":"hunter22"}', '{"email":"a@b.c","password":"[redacted]"}'],
    [
      'connect postgres://app:pa55word@db:5432/tm failed',
      'connect postgres://app:***@db:5432/tm failed',
    ],
    ['password=letmein please', 'password=[redacted] please'],
  ])('%s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('leaves ordinary text alone', () => {
    expect(redactSecrets('applied migrations: InitialSchema1795657493555')).toBe(
      'applied migrations: InitialSchema1795657493555',
    );
  });
});
