import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { httpAction, outcomeOfStatus } from './audit-actions';
import {
  auditContextOf,
  bodyShapeOf,
  isAuditHandled,
  matchedRoute,
  MUTATING_METHODS,
  resourceTypeOfPath,
} from './audit-request';
import { AuditService } from './audit.service';

/**
 * The safety net under AuditInterceptor: a mutating request that never reached
 * a handler (refused by a guard with 401/403/429, or matching no route) is
 * recorded when its response is done, so every POST/PUT/PATCH/DELETE leaves
 * exactly one row (or the rows its route records itself).
 */
@Injectable()
export class AuditFallbackMiddleware implements NestMiddleware {
  private readonly logger = new Logger('Audit');

  constructor(private readonly audit: AuditService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (MUTATING_METHODS.has(req.method.toUpperCase())) {
      res.once('close', () => {
        if (!isAuditHandled(req)) void this.recordRefused(req, res);
      });
    }
    next();
  }

  private async recordRefused(req: Request, res: Response): Promise<void> {
    const routePath = matchedRoute(req);
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    const shape = bodyShapeOf(req.body);
    const status = res.headersSent ? res.statusCode : 499;
    try {
      await this.audit.record({
        ...auditContextOf(req),
        action: httpAction(req.method),
        outcome: outcomeOfStatus(status),
        resourceType: resourceTypeOfPath(routePath ?? req.path),
        resourceId: routePath ? (params.id ?? null) : null,
        changedFields: shape.changedFields,
        details: { method: req.method, route: routePath, ...shape.details, status },
      });
    } catch (error) {
      this.logger.error(
        `could not write the audit row for a refused ${req.method} (request ${
          auditContextOf(req).requestId
        }): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
