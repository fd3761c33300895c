import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { EntityManager } from 'typeorm';
import type { AuditOutcome } from '../audit/audit-actions';
import type { AuditRequestContext } from '../audit/audit-request';
import { AuditService } from '../audit/audit.service';
import { currentRequest } from '../common/request-context';

export type AuditContext = AuditRequestContext;

const SYSTEM_CONTEXT: AuditContext = {
  actor: { type: 'system', id: null },
  requestId: null,
  ip: null,
  userAgent: null,
};

export interface AuthEvent {
  action: string;
  outcome?: AuditOutcome;
  /** The user the event is about, when the request has no signed-in actor yet (sign-in). */
  userId?: string | null;
  resourceType?: string;
  resourceId?: string | null;
  changedFields?: string[];
  /** Ids, counts and codes only. */
  details?: Record<string, unknown>;
}

/**
 * Records identity events (sign-in, lockout, role changes, keys…) in the audit
 * log, with the actor, request id and client address of the current request.
 */
@Injectable()
export class AuthAudit {
  constructor(private readonly audit: AuditService) {}

  contextOf(req: Request): AuditContext {
    return this.audit.contextOf(req);
  }

  async record(
    context: AuditContext | undefined,
    event: AuthEvent,
    manager?: EntityManager,
  ): Promise<void> {
    const req = currentRequest();
    const ctx = context ?? (req ? this.audit.contextOf(req) : SYSTEM_CONTEXT);
    const actor =
      ctx.actor.type === 'anonymous' && event.userId
        ? { type: 'user' as const, id: event.userId }
        : ctx.actor;
    await this.audit.record(
      {
        ...ctx,
        actor,
        action: event.action,
        outcome: event.outcome ?? 'success',
        resourceType: event.resourceType ?? 'user',
        resourceId: event.resourceId ?? event.userId ?? null,
        changedFields: event.changedFields,
        details: event.details,
      },
      manager,
    );
  }
}
