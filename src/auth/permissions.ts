/**
 * Permissions a route can require. The identity issue maps roles to these;
 * machine clients (API keys) hold only the tutoring-record permissions.
 */
export const PERMISSIONS = ['tutoring.read', 'tutoring.write'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const API_KEY_PERMISSIONS: readonly Permission[] = ['tutoring.read', 'tutoring.write'];
