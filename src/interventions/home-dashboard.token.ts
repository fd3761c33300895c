/**
 * Nest token under which the staff dashboard is registered; the home page (`/`)
 * renders it for staff without the auth module importing the interventions module.
 */
export const HOME_DASHBOARD = 'tutormax:home-dashboard';
