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
  ],
  operations_manager: ['tutoring.read', 'self.read'],
  people_ops: ['tutoring.read', 'self.read'],
  tutor: ['self.read'],
  student: ['self.read'],
};

/** Machine clients may only write and read tutoring records, never administer. */
export const API_KEY_PERMISSIONS: readonly Permission[] = ['tutoring.read', 'tutoring.write'];

export function permissionsOf(roles: readonly Role[]): ReadonlySet<Permission> {
  return new Set(roles.flatMap((role) => ROLE_PERMISSIONS[role] ?? []));
}
