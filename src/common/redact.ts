/**
 * Removes secrets from text bound for logs: bearer tokens and JWTs, API keys,
 * passwords and tokens in query strings or JSON, and passwords in URLs.
 */
const PATTERNS: [RegExp, string][] = [
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[jwt]'],
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/\btmk_[A-Za-z0-9_-]{10,}/g, 'tmk_[redacted]'],
  [/([?&](?:token|password|secret|code|state|api_key)=)[^&\s"']+/gi, '$1[redacted]'],
  [
    /("(?:password|newPassword|currentPassword|token|refreshToken|accessToken|secret|apiKey)"\s*:\s*)"[^"]*"/gi,
    '$1"[redacted]"',
  ],
  [
    /(\b(?:password|secret|token)\s*[=:]\s*)(?!\[redacted\]|"\[redacted\]")[^\s,;'"&]+/gi,
    '$1[redacted]',
  ],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi, '$1***@'],
];

export function redactSecrets(text: string): string {
  return PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}
