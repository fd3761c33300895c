import type { Request } from 'express';
import type { AppRequest } from '../auth/principal';
import type { AuditActorType } from './audit-actions';

/** Methods whose every request is audited. */
export const MUTATING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuditActor {
  type: AuditActorType;
  /** users.id or the API key id; null for anonymous and system. */
  id: string | null;
}

/** Who, from where, in which request: what every row about a request carries. */
export interface AuditRequestContext {
  actor: AuditActor;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null };

const MAX_USER_AGENT = 512;
const MAX_FIELDS = 100;
/** A field name worth recording; anything else (a value used as a key) is only counted. */
const FIELD_NAME = /^[A-Za-z_$][A-Za-z0-9_$.-]{0,63}$/;
/** Ids worth recording from a query string (`studentId=<uuid>`), never free values. */
const ID_PARAM = /^[A-Za-z]{1,40}Id$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const HANDLED = Symbol('tutormax.audit.handled');

/** The interceptor saw this request (and recorded it, or was told to skip it). */
export function markAuditHandled(req: Request): void {
  (req as Request & { [HANDLED]?: boolean })[HANDLED] = true;
}

export function isAuditHandled(req: Request): boolean {
  return (req as Request & { [HANDLED]?: boolean })[HANDLED] === true;
}

/**
 * The route pattern that matched (`/api/v1/tutors/:id`), or null when none did:
 * an unrouted request carries the catch-all pattern of the audit middleware.
 */
export function matchedRoute(req: Request): string | null {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' && !path.includes('*') ? path : null;
}

export function auditContextOf(req: Request): AuditRequestContext {
  const { principal, requestId } = req as AppRequest;
  const userAgent = req.header('user-agent');
  return {
    actor: principal ? { type: principal.kind, id: principal.id } : { type: 'anonymous', id: null },
    requestId: requestId ?? null,
    ip: req.ip ?? null,
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT) : null,
  };
}

/**
 * `/api/v1/tutor-events/:id` → `tutor_event`: the first static path segment
 * after the api/version/admin prefix, singular, snake_case.
 */
export function resourceTypeOfPath(path: string): string | null {
  const segment = path
    .split('?')[0]
    .split('/')
    .filter(Boolean)
    .find((s) => !/^(api|v\d+|admin)$/i.test(s));
  if (!segment || !/^[A-Za-z][A-Za-z0-9_-]{0,48}$/.test(segment)) return null;
  const snake = segment.toLowerCase().replace(/-/g, '_');
  if (snake.endsWith('ies')) return `${snake.slice(0, -3)}y`;
  if (snake.endsWith('s') && !/(ss|us|is)$/.test(snake)) return snake.slice(0, -1);
  return snake;
}

export interface BodyShape {
  changedFields: string[];
  details: Record<string, unknown>;
}

/**
 * Names of the top-level fields of a request body, never their values. The
 * records of an ingestion batch `{ items: [...] }` are recorded as their
 * count instead (any other top-level field is still named).
 */
export function bodyShapeOf(body: unknown): BodyShape {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { changedFields: [], details: {} };
  }
  const items = (body as { items?: unknown }).items;
  const batch = Array.isArray(items);
  const keys = Object.keys(body).filter((k) => !(batch && k === 'items'));
  const changedFields = keys
    .filter((k) => FIELD_NAME.test(k))
    .sort()
    .slice(0, MAX_FIELDS);
  const unlisted = keys.length - changedFields.length;
  return {
    changedFields,
    details: {
      ...(batch ? { itemCount: items.length } : {}),
      ...(unlisted > 0 ? { unlistedFieldCount: unlisted } : {}),
    },
  };
}

/**
 * For an audited read: the names of the query parameters, and the values of
 * those that are record ids (`studentId=<uuid>`), so a data-access report can
 * find who listed a student's sessions. Free values (dates, external ids) are
 * never recorded.
 */
export function queryShapeOf(query: unknown): Record<string, unknown> {
  if (typeof query !== 'object' || query === null) return {};
  const entries = Object.entries(query as Record<string, unknown>).filter(([k]) =>
    FIELD_NAME.test(k),
  );
  if (!entries.length) return {};
  const ids = Object.fromEntries(
    entries.filter(([k, v]) => ID_PARAM.test(k) && typeof v === 'string' && UUID.test(v)),
  );
  return {
    query: entries.map(([k]) => k).sort(),
    ...(Object.keys(ids).length ? { ids } : {}),
  };
}
