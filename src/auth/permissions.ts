import type { Role } from './entities/user.entity';

/**
 * Every permission a route can require. Roles map to permissions in one table
 * (ROLE_PERMISSIONS, from DOMAIN.md §2.3); routes declare a permission, never
 * a role.
 */
export const PERMISSIONS = [
  'tutoring.read',
  'tutoring.write',
  'self.read',
  'users.manage',
  'api_keys.manage',
  'audit.read',
  'system.operate',
  /** See the intervention queue (people_ops: their own and the unassigned pool). */
  'interventions.read',
  /** Create manual interventions, change status, record outcomes and notes (people_ops: on their own). */
  'interventions.work',
  /** Assign and reassign interventions to staff. */
  'interventions.assign',
  /** Edit the rule-engine configuration and the SLA policies. */
  'interventions.configure',
  /** Tutors' risk bands, tiers and intervention history (the manager's tutor views). */
  'tutors.read_risk',
  /** A tutor's own performance page, goals, training and inbox (only the linked tutor record). */
  'self_service.tutor',
  /** A student's own sessions and feedback (only the linked student record). */
  'self_service.student',
  /** Override a tutor's churn score with a reason and an expiry (audited). */
  'prediction.override',
  /** The model registry: see models and training runs, train on demand. */
  'models.manage',
  /** Compliance: disclosure reports, GDPR request handling, legal holds, retention, breaches. */
  'compliance.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: [
    'tutoring.read',
    'tutoring.write',
    'self.read',
    'users.manage',
    'api_keys.manage',
    'audit.read',
    'system.operate',
    'interventions.read',
    'interventions.work',
    'interventions.assign',
    'interventions.configure',
    'tutors.read_risk',
    'compliance.manage',
    'prediction.override',
    'models.manage',
  ],
  operations_manager: [
    'tutoring.read',
    'self.read',
    'interventions.read',
    'interventions.work',
    'interventions.assign',
    'tutors.read_risk',
    'prediction.override',
  ],
  people_ops: [
    'tutoring.read',
    'self.read',
    'interventions.read',
    'interventions.work',
    'tutors.read_risk',
  ],
  tutor: ['self.read', 'self_service.tutor'],
  student: ['self.read', 'self_service.student'],
};

/** Machine clients may only write and read tutoring records, never administer. */
export const API_KEY_PERMISSIONS: readonly Permission[] = ['tutoring.read', 'tutoring.write'];

export function permissionsOf(roles: readonly Role[]): ReadonlySet<Permission> {
  return new Set(roles.flatMap((role) => ROLE_PERMISSIONS[role] ?? []));
}
