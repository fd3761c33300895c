import { Body, Controller, Get, HttpException, Post, Query, Req, Res } from '@nestjs/common';
import { SkipAudit } from '../audit/audit.decorators';
import { ModuleRef } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { AppConfig } from '../config/app-config';
import { ResetRateLimit, SignInRateLimit } from '../security/rate-limit.decorators';
import { Pages, safeNext } from '../web/pages.service';
import { Page, Public, RequirePermission } from './access.decorators';
import { AuthService } from './auth.service';
import { LoginFormDto } from './dto/auth.dto';
import type { AppRequest } from './principal';
import { SessionCookies } from './session-cookies';
import { TokenService } from './token.service';
import { ROLE_PERMISSIONS } from './permissions';
import { HOME_DASHBOARD } from '../interventions/home-dashboard.token';

interface FormBody {
  [field: string]: unknown;
}
const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** The browser's way in: sign-in, sign-out, password reset and change, and the start page. */
@ApiExcludeController()
@Controller()
export class AccountPagesController {
  constructor(
    private readonly auth: AuthService,
    private readonly pages: Pages,
    private readonly cookies: SessionCookies,
    private readonly tokens: TokenService,
    private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  @Get('/')
  @Page()
  @RequirePermission('self.read')
  async home(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const principal = req.principal!;
    // Staff who work the intervention queue start on their dashboard (src/interventions),
    // found by token so that this module does not depend on that one.
    if (principal.permissions.has('interventions.read')) {
      const dashboard = this.moduleRef.get<{ render(q: AppRequest, s: Response): Promise<void> }>(
        HOME_DASHBOARD,
        { strict: false },
      );
      return dashboard.render(req, res);
    }
    // Tutors and students linked to their record start on their own page (src/self-service);
    // an account not linked yet stays on the home page, which says what it can do.
    if (
      principal.kind === 'user' &&
      ((principal.permissions.has('self_service.tutor') && principal.tutorId) ||
        (principal.permissions.has('self_service.student') && principal.studentId))
    )
      return res.redirect(303, '/me');
    const roles = principal.kind === 'user' ? principal.roles : [];
    const permissions = new Set(roles.flatMap((r) => ROLE_PERMISSIONS[r]));
    const links = [
      { href: '/admin/users', label: 'Manage users and roles', permission: 'users.manage' },
      {
        href: '/admin/api-keys',
        label: 'API keys for machine clients',
        permission: 'api_keys.manage',
      },
      { href: '/admin/audit', label: 'Audit log', permission: 'audit.read' },
      { href: '/api/docs', label: 'API documentation', permission: 'tutoring.read' },
    ].filter((l) => permissions.has(l.permission as never));
    const email = principal.kind === 'user' ? principal.email : '';
    this.pages.send(
      req,
      res,
      'home',
      { name: email.split('@')[0], email, roles, plural: roles.length > 1, links },
      { title: 'Home' },
    );
  }

  @Get('login')
  @Page()
  @Public()
  loginForm(@Req() req: AppRequest, @Res() res: Response, @Query('next') next?: string): void {
    if (req.principal?.kind === 'user') return res.redirect(303, safeNext(next));
    this.renderLogin(req, res, { next: safeNext(next), email: '', error: null });
  }

  @Post('login')
  @Page()
  @Public()
  @SignInRateLimit()
  @SkipAudit()
  async login(
    @Body() body: LoginFormDto,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const next = safeNext(body.next);
    try {
      const { tokens } = await this.auth.signIn(body.email, body.password, {
        ip: req.ip ?? '',
        channel: 'browser',
      });
      this.cookies.set(res, tokens);
      res.redirect(303, next);
    } catch (error) {
      if (!(error instanceof HttpException) || ![401, 429].includes(error.getStatus())) throw error;
      const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retryAfter) res.setHeader('Retry-After', String(retryAfter));
      this.renderLogin(
        req,
        res,
        { next, email: body.email, error: error.message },
        error.getStatus(),
      );
    }
  }

  @Post('logout')
  @Page()
  @Public()
  @SkipAudit()
  async logout(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const { refresh } = this.cookies.read(req);
    if (refresh) await this.auth.signOut(refresh);
    else if (req.principal?.kind === 'user')
      await this.tokens.revokeFamily(req.principal.sessionId);
    this.cookies.clear(res);
    res.redirect(303, '/login?notice=signed-out');
  }

  @Get('forgot-password')
  @Page()
  @Public()
  forgotForm(@Req() req: AppRequest, @Res() res: Response): void {
    this.pages.send(req, res, 'forgot-password', {}, { title: 'Reset your password' });
  }

  @Post('forgot-password')
  @Page()
  @Public()
  @ResetRateLimit()
  @SkipAudit()
  async forgot(@Body() body: FormBody, @Res() res: Response): Promise<void> {
    const email = text(body.email).trim();
    if (/^[^@\s]+@[^@\s]+$/.test(email)) await this.auth.requestPasswordReset(email);
    res.redirect(303, '/login?notice=reset-sent');
  }

  @Get('reset-password')
  @Page()
  @Public()
  resetForm(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Query('token') token = '',
  ): Promise<void> {
    return this.renderSetPassword(req, res, 'password_reset', token, null);
  }

  @Post('reset-password')
  @Page()
  @Public()
  @SkipAudit()
  resetSubmit(@Body() body: FormBody, @Req() req: AppRequest, @Res() res: Response): Promise<void> {
    return this.submitSetPassword(req, res, 'password_reset', body);
  }

  @Get('set-password')
  @Page()
  @Public()
  inviteForm(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Query('token') token = '',
  ): Promise<void> {
    return this.renderSetPassword(req, res, 'invite', token, null);
  }

  @Post('set-password')
  @Page()
  @Public()
  @SkipAudit()
  inviteSubmit(
    @Body() body: FormBody,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    return this.submitSetPassword(req, res, 'invite', body);
  }

  @Get('account/password')
  @Page()
  @RequirePermission('self.read')
  changeForm(@Req() req: AppRequest, @Res() res: Response): void {
    this.pages.send(
      req,
      res,
      'change-password',
      { error: null },
      { title: 'Change your password' },
    );
  }

  @Post('account/password')
  @Page()
  @RequirePermission('self.read')
  @SkipAudit()
  async change(
    @Body() body: FormBody,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const principal = req.principal!;
    if (principal.kind !== 'user') return res.redirect(303, '/');
    try {
      await this.auth.changePassword(
        principal.id,
        text(body.currentPassword),
        text(body.newPassword),
        principal.sessionId,
      );
      res.redirect(303, '/?notice=password-changed');
    } catch (error) {
      if (!(error instanceof HttpException) || error.getStatus() !== 400) throw error;
      this.pages.send(
        req,
        res,
        'change-password',
        { error: error.message },
        { title: 'Change your password', status: 400 },
      );
    }
  }

  private renderLogin(
    req: AppRequest,
    res: Response,
    context: { next: string; email: string; error: string | null },
    status = 200,
  ): void {
    const sso = [
      ...(this.config.GOOGLE_CLIENT_ID
        ? [{ href: `/auth/google?next=${encodeURIComponent(context.next)}`, label: 'Google' }]
        : []),
      ...(this.config.MICROSOFT_CLIENT_ID
        ? [{ href: `/auth/microsoft?next=${encodeURIComponent(context.next)}`, label: 'Microsoft' }]
        : []),
    ];
    this.pages.send(req, res, 'login', { ...context, sso }, { title: 'Sign in', status });
  }

  private async renderSetPassword(
    req: AppRequest,
    res: Response,
    purpose: 'password_reset' | 'invite',
    token: string,
    error: string | null,
    status = 200,
  ): Promise<void> {
    const valid = token.length > 0 && Boolean(await this.auth.peekToken(token, purpose));
    this.pages.send(
      req,
      res,
      'set-password',
      {
        heading: purpose === 'invite' ? 'Choose your password' : 'Choose a new password',
        action: purpose === 'invite' ? '/set-password' : '/reset-password',
        token,
        valid,
        error:
          error ?? (valid ? null : 'This link is not valid any more. Links work once and expire.'),
      },
      { title: 'Set password', status: valid ? status : 400 },
    );
  }

  private async submitSetPassword(
    req: AppRequest,
    res: Response,
    purpose: 'password_reset' | 'invite',
    body: FormBody,
  ): Promise<void> {
    const token = text(body.token);
    try {
      await this.auth.completeWithToken(token, purpose, text(body.password));
      res.redirect(303, '/login?notice=password-set');
    } catch (error) {
      if (!(error instanceof HttpException) || error.getStatus() !== 400) throw error;
      await this.renderSetPassword(req, res, purpose, token, error.message, 400);
    }
  }
}
