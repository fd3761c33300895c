import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AppRequest } from '../auth/principal';
import type { Permission } from '../auth/permissions';
import { CsrfService } from '../security/csrf.service';
import { NavLink, ViewService } from './view.service';

const NAV: { href: string; label: string; permission: Permission }[] = [
  { href: '/', label: 'Home', permission: 'self.read' },
  { href: '/me', label: 'My performance', permission: 'self_service.tutor' },
  { href: '/me', label: 'My sessions', permission: 'self_service.student' },
  { href: '/dashboard', label: 'Dashboard', permission: 'interventions.read' },
  { href: '/interventions', label: 'Interventions', permission: 'interventions.read' },
  { href: '/tutors', label: 'Tutors', permission: 'tutors.read_risk' },
  { href: '/admin/users', label: 'Users', permission: 'users.manage' },
  { href: '/admin/api-keys', label: 'API keys', permission: 'api_keys.manage' },
  { href: '/admin/audit', label: 'Audit log', permission: 'audit.read' },
  { href: '/admin/status', label: 'Status', permission: 'system.operate' },
  { href: '/admin/alerts', label: 'Alerts', permission: 'system.operate' },
  { href: '/admin/workers', label: 'Workers', permission: 'system.operate' },
  { href: '/admin/messages', label: 'Messages', permission: 'system.operate' },
  { href: '/admin/models', label: 'Models', permission: 'models.manage' },
  {
    href: '/admin/intervention-config',
    label: 'Intervention rules',
    permission: 'interventions.configure',
  },
  { href: '/compliance/requests', label: 'Privacy requests', permission: 'compliance.manage' },
  { href: '/compliance/coppa', label: 'Parental consent', permission: 'compliance.manage' },
  { href: '/compliance/breaches', label: 'Breaches', permission: 'compliance.manage' },
  { href: '/privacy', label: 'Privacy', permission: 'self.read' },
  { href: '/account/password', label: 'Password', permission: 'self.read' },
];

/** Fixed notices shown after a redirect (`?notice=`); never user-supplied text. */
const NOTICES: Record<string, string> = {
  'signed-out': 'You are signed out.',
  'password-set': 'Your password is set. Sign in with it now.',
  'password-changed': 'Your password is changed. Your other sessions have been signed out.',
  'reset-sent': 'If that address has an account, we have emailed it a link to reset the password.',
  invited: 'The user is created and has been emailed a link to set their password.',
  saved: 'Saved. If the roles changed, the user’s sessions have been ended.',
  deactivated: 'The user is deactivated and signed out everywhere.',
  reactivated: 'The user is active again.',
  'user-reset-sent': 'A password reset link has been emailed to the user.',
  'key-revoked': 'The API key is revoked; clients using it are refused from now on.',
  imported: 'The users are created; invitations are being emailed.',
};

/**
 * Set on page requests by the notifications module's interceptor (after the
 * guard identified the user): the unread count shown in the layout.
 */
export type UnreadCountRequest = Request & { unreadNotifications?: number };

export interface PageOptions {
  title: string;
  status?: number;
  flash?: { kind: 'info' | 'error'; text: string } | null;
}

/** Renders a page in the shared layout with the caller's navigation and a CSRF token. */
@Injectable()
export class Pages {
  constructor(
    private readonly views: ViewService,
    private readonly csrf: CsrfService,
  ) {}

  html(
    req: Request,
    res: Response,
    name: string,
    context: Record<string, unknown>,
    options: PageOptions,
  ): string {
    const principal = (req as AppRequest).principal;
    const user = principal?.kind === 'user' ? principal : undefined;
    const notice = typeof req.query.notice === 'string' ? NOTICES[req.query.notice] : undefined;
    const nav: NavLink[] = user
      ? NAV.filter((n) => user.permissions.has(n.permission)).map((n) => ({
          href: n.href,
          label: n.label,
          active: req.path === n.href || (n.href !== '/' && req.path.startsWith(n.href)),
        }))
      : [];
    res.status(options.status ?? 200).type('html');
    res.setHeader('Cache-Control', 'no-store');
    return this.views.render(name, context, {
      title: options.title,
      csrfToken: this.csrf.token(req, res),
      user: user ? { name: user.email.split('@')[0], email: user.email, roles: user.roles } : null,
      nav,
      flash: options.flash ?? (notice ? { kind: 'info', text: notice } : null),
      unreadCount: user ? ((req as UnreadCountRequest).unreadNotifications ?? null) : null,
    });
  }

  /** Sends a rendered page (for use with @Res()). */
  send(
    req: Request,
    res: Response,
    name: string,
    context: Record<string, unknown>,
    options: PageOptions,
  ): void {
    res.send(this.html(req, res, name, context, options));
  }
}

/** A same-site path to return to after sign-in; anything else goes home. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}
