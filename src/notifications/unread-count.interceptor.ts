import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { from, Observable, switchMap } from 'rxjs';
import type { PageRequest } from '../auth/principal';
import type { UnreadCountRequest } from '../web/pages.service';
import { InAppNotifications } from './in-app-notifications.service';

/**
 * For pages viewed by a signed-in user, provides the unread in-app count
 * before the handler renders, so the layout can show it: the one read with
 * the user by RequestAuthenticator when there is one, else one index-only
 * count.
 */
@Injectable()
export class UnreadCountInterceptor implements NestInterceptor {
  constructor(private readonly inApp: InAppNotifications) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<PageRequest & UnreadCountRequest>();
    const principal = req.principal;
    if (!req.isPage || req.method !== 'GET' || principal?.kind !== 'user') return next.handle();
    if (principal.unreadNotifications !== undefined) {
      req.unreadNotifications = principal.unreadNotifications;
      return next.handle();
    }
    return from(this.inApp.unreadCount(principal.id)).pipe(
      switchMap((count) => {
        req.unreadNotifications = count;
        return next.handle();
      }),
    );
  }
}
