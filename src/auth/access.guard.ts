import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { CsrfService } from '../security/csrf.service';
import { PAGE_KEY, PERMISSION_KEY, PUBLIC_KEY } from './access.decorators';
import { Permission } from './permissions';
import type { PageRequest } from './principal';
import { RequestAuthenticator } from './request-authenticator';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Global guard. Identifies the caller (Bearer access token, X-API-Key, or the
 * browser's session cookies, refreshed transparently), checks CSRF on unsafe
 * cookie-authenticated requests and page forms, and denies every route that is
 * neither @Public() nor declares a permission the caller holds.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: RequestAuthenticator,
    private readonly csrf: CsrfService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<PageRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) ?? false;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(
      PERMISSION_KEY,
      targets,
    );
    req.isPage = this.reflector.getAllAndOverride<boolean>(PAGE_KEY, targets) ?? false;

    const { principal, problem } = await this.authenticator.identify(req, res);
    if (principal) req.principal = principal;

    const needsCsrf =
      UNSAFE.has(req.method) &&
      ((principal?.kind === 'user' && principal.via === 'cookie') || (!principal && req.isPage));
    if (isPublic) {
      if (needsCsrf) this.checkCsrf(req);
      return true;
    }
    if (!permission) {
      throw new ForbiddenException(
        'This route declares no access rule, so it is closed to everyone',
      );
    }
    if (!principal) {
      throw new UnauthorizedException(
        problem ?? 'Sign in, or send an API key in the X-API-Key header',
      );
    }
    if (!principal.permissions.has(permission)) {
      throw new ForbiddenException(`You do not have the ${permission} permission`);
    }
    // Bearer and API-key callers carry no ambient credentials, so only cookie sessions need the token.
    if (needsCsrf && principal.kind === 'user' && principal.via === 'cookie') this.checkCsrf(req);
    return true;
  }

  private checkCsrf(req: PageRequest): void {
    const problem = this.csrf.problem(req);
    if (problem) throw new ForbiddenException(problem);
  }
}
