import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { ApiKeyService } from './api-key.service';
import { Role, User } from './entities/user.entity';
import { permissionsOf } from './permissions';
import type { AppRequest, PageRequest, Principal } from './principal';
import { UNREAD_COUNT_SQL } from '../notifications/in-app-notifications.service';
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
      const principal = claims && (await this.userPrincipal(req, claims, 'bearer'));
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
      const principal = claims && (await this.userPrincipal(req, claims, 'cookie'));
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
    req: PageRequest,
    claims: AccessClaims,
    via: 'bearer' | 'cookie',
  ): Promise<Principal | undefined> {
    // Every signed-in request asks this: one plain statement, no entity hydration. A
    // browser's page view also counts the unread notifications its header shows, in the
    // same round trip.
    const withUnread = via === 'cookie' && req.method === 'GET' && req.isPage === true;
    const [row]: {
      id: string;
      email: string;
      roles: Role[];
      is_active: boolean;
      session_version: number;
      tutor_id: string | null;
      student_id: string | null;
      unread?: number;
    }[] = await this.dataSource.query(
      `SELECT id, email, roles, is_active, session_version, tutor_id, student_id${
        withUnread ? `, (${UNREAD_COUNT_SQL}) AS unread` : ''
      } FROM users WHERE id = $1`,
      [claims.sub],
    );
    if (!row || !row.is_active || row.session_version !== claims.ver) return undefined;
    const principal = toPrincipal(
      {
        id: row.id,
        email: row.email,
        roles: row.roles,
        tutorId: row.tutor_id,
        studentId: row.student_id,
      },
      via,
      claims.sid,
    );
    return row.unread === undefined ? principal : { ...principal, unreadNotifications: row.unread };
  }
}

export function toPrincipal(
  user: Pick<User, 'id' | 'email' | 'roles' | 'tutorId' | 'studentId'>,
  via: 'bearer' | 'cookie',
  sessionId: string,
): Extract<Principal, { kind: 'user' }> {
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
