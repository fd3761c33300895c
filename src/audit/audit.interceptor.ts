import {
  CallHandler,
  ExecutionContext,
  Injectable,
  Logger,
  NestInterceptor,
  ServiceUnavailableException,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { toErrorBody } from '../common/http-exception.filter';
import { httpAction, outcomeOfStatus, readAction } from './audit-actions';
import { AUDIT_READ_KEY, AUDITED_KEY, AuditedOptions, SKIP_AUDIT_KEY } from './audit.decorators';
import {
  auditContextOf,
  bodyShapeOf,
  markAuditHandled,
  matchedRoute,
  MUTATING_METHODS,
  queryShapeOf,
  resourceTypeOfPath,
} from './audit-request';
import { AuditEntry, AuditService } from './audit.service';

/**
 * Writes one audit row for every mutating request that reaches a handler, and
 * for every GET marked @AuditRead, once the outcome is known: after the
 * handler returned (success) or threw (failure or denied, by the status the
 * error filter will send; the error is rethrown unchanged). The row is written
 * before the response leaves. Requests refused before any handler (by a guard,
 * or unrouted) are recorded by AuditFallbackMiddleware instead.
 *
 * A failed audit write fails an audited read closed (503: no unlogged
 * disclosure); a mutation has already happened by then, so its answer stands
 * and the failure is logged as an error.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    markAuditHandled(req);
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(SKIP_AUDIT_KEY, targets)) return next.handle();
    const method = req.method.toUpperCase();
    const subject =
      method === 'GET'
        ? this.reflector.getAllAndOverride<string | undefined>(AUDIT_READ_KEY, targets)
        : undefined;
    if (!subject && !MUTATING_METHODS.has(method)) return next.handle();

    const entry = this.describe(
      req,
      this.reflector.getAllAndOverride<AuditedOptions | undefined>(AUDITED_KEY, targets) ?? {},
      subject,
    );
    const declared = Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as
      number | undefined;
    const successStatus = declared ?? (method === 'POST' ? 201 : 200);

    return next.handle().pipe(
      mergeMap(async (value: unknown) => {
        const status = res.headersSent ? res.statusCode : successStatus;
        await this.write(entry, status, !!subject);
        return value;
      }),
      catchError((error: unknown) => {
        if (error instanceof AuditWriteFailed) return throwError(() => error.refusal);
        const status = toErrorBody(error).statusCode;
        return from(this.write(entry, status, false)).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }

  private describe(req: Request, options: AuditedOptions, subject?: string): AuditEntry {
    const routePath = matchedRoute(req);
    const idParam = options.idParam ?? 'id';
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    const shape = subject
      ? { changedFields: [], details: queryShapeOf(req.query) }
      : bodyShapeOf(req.body);
    return {
      ...auditContextOf(req),
      action: options.action ?? (subject ? readAction(subject) : httpAction(req.method)),
      outcome: 'success',
      resourceType: options.resource ?? resourceTypeOfPath(routePath ?? req.path),
      resourceId: params[idParam] ?? null,
      changedFields: shape.changedFields,
      details: { method: req.method, route: routePath, ...shape.details },
    };
  }

  private async write(entry: AuditEntry, status: number, failClosed: boolean): Promise<void> {
    try {
      await this.audit.record({
        ...entry,
        outcome: outcomeOfStatus(status),
        details: { ...entry.details, status },
      });
    } catch (error) {
      this.logger.error(
        `could not write the audit row for ${entry.action} (request ${entry.requestId}): ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
      if (failClosed) {
        throw new AuditWriteFailed(
          new ServiceUnavailableException(
            'The access could not be recorded in the audit log, so it was refused; try again',
          ),
        );
      }
    }
  }
}

/** Carries the 503 of a failed audited read past catchError without a second row. */
class AuditWriteFailed extends Error {
  constructor(readonly refusal: Error) {
    super(refusal.message);
  }
}
