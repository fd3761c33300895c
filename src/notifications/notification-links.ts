import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { RECIPIENT_KINDS, RecipientKind } from './entities/notification-message.entity';

/** Email categories a recipient can unsubscribe from; `account` (invite, reset) cannot be. */
export const CATEGORIES = {
  account: 'account',
  feedback: 'feedback',
  tutorTips: 'tutor-tips',
  staffNotices: 'staff-notices',
  digest: 'digest',
} as const;
export type Category = (typeof CATEGORIES)[keyof typeof CATEGORIES];
export const UNSUBSCRIBABLE: readonly string[] = Object.values(CATEGORIES).filter(
  (c) => c !== 'account',
);

export const CATEGORY_LABELS: Record<string, string> = {
  feedback: 'feedback requests about tutoring sessions',
  'tutor-tips': 'coaching tips, training and check-ins for tutors',
  'staff-notices': 'intervention notices (assignments, SLA warnings)',
  digest: 'the weekly digest',
};

/** Feedback links expire after 7 days and are used once (the compliance module's form records each use). */
export const FEEDBACK_TOKEN_DAYS = 7;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface UnsubscribeClaim {
  kind: RecipientKind;
  id: string;
  category: string;
}

export interface FeedbackClaim {
  sessionId: string;
  /** Who the link was sent to. */
  respondent: 'student' | 'parent';
  expiresAt: Date;
}

/**
 * Links in outgoing email: the app's base URL, signed unsubscribe and
 * feedback tokens (HMAC-SHA256 under a key derived from JWT_SECRET), tracking
 * URLs, and the check that a click target is one of the app's own links.
 */
@Injectable()
export class NotificationLinks {
  private readonly key: Buffer;
  readonly base: string;

  constructor(config: AppConfig) {
    this.key = createHmac('sha256', config.JWT_SECRET).update('notification-links').digest();
    this.base = (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  private seal(fields: string[]): string {
    const body = Buffer.from(fields.join('|')).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  private open(token: string): string[] | null {
    const [body, signature, extra] = token.split('.');
    if (!body || !signature || extra !== undefined) return null;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    return Buffer.from(body, 'base64url').toString('utf8').split('|');
  }

  unsubscribeToken(claim: UnsubscribeClaim): string {
    return this.seal(['u', claim.kind, claim.id, claim.category]);
  }

  verifyUnsubscribe(token: string): UnsubscribeClaim | null {
    const f = this.open(token);
    if (!f || f.length !== 4 || f[0] !== 'u') return null;
    const [, kind, id, category] = f;
    if (!(RECIPIENT_KINDS as readonly string[]).includes(kind) || !UUID.test(id)) return null;
    if (!UNSUBSCRIBABLE.includes(category)) return null;
    return { kind: kind as RecipientKind, id, category };
  }

  unsubscribeUrl(claim: UnsubscribeClaim): string {
    return this.url(`/notifications/unsubscribe/${this.unsubscribeToken(claim)}`);
  }

  /** `PUBLIC_URL/feedback/<token>`: signed, expires after 7 days, single use (see src/compliance/feedback-form.service.ts). */
  feedbackUrl(sessionId: string, respondent: 'student' | 'parent', now: Date): string {
    const expires = now.getTime() + FEEDBACK_TOKEN_DAYS * 86_400_000;
    return this.url(`/feedback/${this.seal(['f', sessionId, respondent, String(expires)])}`);
  }

  verifyFeedback(token: string, now: Date): FeedbackClaim | null {
    const f = this.open(token);
    if (!f || f.length !== 4 || f[0] !== 'f' || !UUID.test(f[1])) return null;
    if (f[2] !== 'student' && f[2] !== 'parent') return null;
    const expires = Number(f[3]);
    if (!Number.isFinite(expires) || expires <= now.getTime()) return null;
    return { sessionId: f[1], respondent: f[2], expiresAt: new Date(expires) };
  }

  openPixelUrl(messageId: string): string {
    return this.url(`/notifications/open/${messageId}.gif`);
  }

  clickUrl(messageId: string, target: string): string {
    return this.url(`/notifications/click/${messageId}?url=${encodeURIComponent(target)}`);
  }

  /**
   * The absolute URL to redirect a click to, or null when `target` is not one
   * of the app's own links (another origin, a protocol-relative or backslash
   * trick, a non-http scheme): no open redirect.
   */
  ownUrl(target: string): string | null {
    if (target.startsWith('/') && !/^\/[/\\]/.test(target) && !target.includes('\\')) {
      return this.url(target);
    }
    try {
      const parsed = new URL(target);
      return parsed.origin === new URL(this.base).origin && !target.includes('\\')
        ? parsed.toString()
        : null;
    } catch {
      return null;
    }
  }
}
