import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { ApiKeyService } from './api-key.service';
import { User } from './entities/user.entity';
import { permissionsOf } from './permissions';
import type { AppRequest, Principal } from './principal';
import { SessionCookies } from './session-cookies';
import { AccessClaims, TokenService } from './token.service';

/** Works out who is calling; shared by the guard and routes mounted outside Nest's router. */
@Injectable()
export class RequestAuthenticator {
  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly tokens: TokenService,
    private readonly cookies: SessionCookies,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async identify(
    req: AppRequest,
    res: Response,
  ): Promise<{ principal?: Principal; problem?: string }> {
    const authorization = req.header('authorization');
    if (authorization) {
      const [scheme, token] = authorization.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !token)
        return { problem: 'Authorization must be "Bearer <access token>"' };
      const claims = this.tokens.verifyAccess(token);
      const principal = claims && (await this.userPrincipal(claims, 'bearer'));
      return principal
        ? { principal }
        : { problem: 'The access token is not valid or has expired; refresh it or sign in again' };
    }
    const key = req.header('x-api-key');
    if (key) {
      const principal = await this.apiKeys.verify(key);
      return principal ? { principal } : { problem: 'The API key is not valid' };
    }
    const { access, refresh } = this.cookies.read(req);
    if (access) {
      const claims = this.tokens.verifyAccess(access);
      const principal = claims && (await this.userPrincipal(claims, 'cookie'));
      if (principal) return { principal };
    }
    if (refresh) {
      try {
        const { user, pair, familyId } = await this.tokens.rotate(refresh, 'browser');
        if (pair) this.cookies.set(res, pair);
        if (user.isActive) return { principal: toPrincipal(user, 'cookie', familyId) };
      } catch {
        this.cookies.clear(res);
        return { problem: 'Your session has ended; sign in again' };
      }
    }
    return {};
  }

  private async userPrincipal(
    claims: AccessClaims,
    via: 'bearer' | 'cookie',
  ): Promise<Principal | undefined> {
    const user = await this.dataSource.getRepository(User).findOneBy({ id: claims.sub });
    if (!user || !user.isActive || user.sessionVersion !== claims.ver) return undefined;
    return toPrincipal(user, via, claims.sid);
  }
}

export function toPrincipal(user: User, via: 'bearer' | 'cookie', sessionId: string): Principal {
  return {
    kind: 'user',
    id: user.id,
    email: user.email,
    roles: user.roles,
    permissions: permissionsOf(user.roles),
    via,
    sessionId,
    tutorId: user.tutorId,
    studentId: user.studentId,
  };
}
