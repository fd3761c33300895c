import type { Request } from 'express';
import type { Role } from './entities/user.entity';
import type { Permission } from './permissions';

/** Who is calling: a signed-in user or a machine client's API key. */
export type Principal =
  | {
      kind: 'user';
      /** users.id */
      id: string;
      email: string;
      roles: Role[];
      permissions: ReadonlySet<Permission>;
      /** How the user is authenticated on this request. */
      via: 'bearer' | 'cookie';
      /** The sign-in session (refresh-token family). */
      sessionId: string;
      tutorId: string | null;
      studentId: string | null;
      /**
       * Unread in-app notifications, read with the user on cookie requests
       * (pages show the count in their header; see UnreadCountInterceptor).
       */
      unreadNotifications?: number;
    }
  | {
      kind: 'api-key';
      /** Non-secret key id (api_keys.id, or the first 8 hex of an env key's SHA-256). */
      id: string;
      permissions: ReadonlySet<Permission>;
    };

export type AppRequest = Request & {
  principal?: Principal;
  /** Set by the request-id middleware from X-Request-Id or generated. */
  requestId: string;
};

/** A request whose route is a page (@Page()); the access guard sets `isPage` before identifying the caller. */
export type PageRequest = AppRequest & { isPage?: boolean };
