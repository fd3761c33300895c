import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { PERMISSION_KEY, PUBLIC_KEY } from './access.decorators';
import { ApiKeyPrincipal, ApiKeyService } from './api-key.service';
import type { Permission } from './permissions';

export type RequestWithPrincipal = Request & { principal?: ApiKeyPrincipal };

/**
 * Global guard: a route is denied unless it is @Public() or declares a
 * permission the caller holds.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(
      PERMISSION_KEY,
      targets,
    );
    if (!permission) {
      throw new ForbiddenException(
        'This route declares no access rule, so it is closed to everyone',
      );
    }
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const key = request.header('x-api-key');
    if (!key) throw new UnauthorizedException('Send an API key in the X-API-Key header');
    const principal = this.apiKeys.verify(key);
    if (!principal) throw new UnauthorizedException('The API key is not valid');
    if (!principal.permissions.includes(permission)) {
      throw new ForbiddenException(`This key lacks the ${permission} permission`);
    }
    request.principal = principal;
    return true;
  }
}
