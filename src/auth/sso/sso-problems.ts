import type { SsoProblem } from './sso-profile';

export interface SsoProblemPage {
  status: number;
  heading: string;
  message: string;
}

const START_AGAIN = 'Go back to the sign-in page and start again.';
const ASK_ADMIN = 'Ask an administrator';

/**
 * The page shown for each way an SSO sign-in can stop: 400 when the state is
 * missing, unknown, used or from another browser; 403 when the person may not
 * sign in; 502/503 when the provider or our state store let us down. Never a
 * 500 for any of these. `label` is the provider's name, `email` the address
 * the provider sent (the person's own).
 */
export function ssoProblemPage(
  problem: SsoProblem,
  label: string,
  email: string | null,
): SsoProblemPage {
  const address = email ? ` ${email}` : ' your email address';
  switch (problem) {
    case 'not_configured':
      return {
        status: 404,
        heading: `Sign-in with ${label} is not set up`,
        message: `This TutorMax has no ${label} sign-in configured. Sign in with your email and password instead.`,
      };
    case 'incomplete':
      return {
        status: 400,
        heading: `${label} did not finish the sign-in`,
        message: `The answer from ${label} is missing its sign-in code. ${START_AGAIN}`,
      };
    case 'state_unknown':
      return {
        status: 400,
        heading: 'This sign-in has expired or was already used',
        message: `A sign-in with ${label} works once and for 10 minutes, and this one is no longer valid. ${START_AGAIN}`,
      };
    case 'state_browser':
      return {
        status: 400,
        heading: 'This sign-in was started in another browser',
        message: `For your safety, finish signing in with ${label} in the browser where you started. ${START_AGAIN}`,
      };
    case 'cancelled':
      return {
        status: 403,
        heading: `${label} did not sign you in`,
        message: `The sign-in was cancelled or refused at ${label}. ${START_AGAIN}`,
      };
    case 'provider_error':
      return {
        status: 502,
        heading: `${label} sign-in did not work`,
        message: `We could not complete the sign-in with ${label}. Try again in a moment, or sign in with your email and password.`,
      };
    case 'unavailable':
      return {
        status: 503,
        heading: 'Sign-in is unavailable right now',
        message: `We could not handle the sign-in with ${label} just now. Try again in a moment, or sign in with your email and password.`,
      };
    case 'no_email':
      return {
        status: 403,
        heading: `${label} did not share your email address`,
        message: `TutorMax needs the email address of your ${label} account to find your account. ${ASK_ADMIN} if this keeps happening.`,
      };
    case 'unverified':
      return {
        status: 403,
        heading: 'Your email address is not verified',
        message: `${label} has not confirmed that${address} belongs to you, so it cannot be used to find your TutorMax account. Verify it with ${label}, or sign in with your email and password.`,
      };
    case 'tenant_not_allowed':
      return {
        status: 403,
        heading: 'Your organisation cannot sign in here',
        message: `Accounts from this ${label} directory are not allowed to sign in to TutorMax. ${ASK_ADMIN} to allow your organisation, or sign in with your email and password.`,
      };
    case 'unknown_email':
      return {
        status: 403,
        heading: 'There is no TutorMax account for you yet',
        message: `No TutorMax account uses${address}. ${ASK_ADMIN} to invite you, then sign in with ${label} again.`,
      };
    case 'deactivated':
      return {
        status: 403,
        heading: 'This account is deactivated',
        message: `Your TutorMax account has been deactivated, so it cannot sign in with ${label} or otherwise. ${ASK_ADMIN} if you need access again.`,
      };
    case 'no_role':
      return {
        status: 403,
        heading: 'Your account has no role yet',
        message: `Your TutorMax account${email ? ` for ${email}` : ''} exists but has no role, so there is nothing you may open yet. ${ASK_ADMIN} to give you one, then sign in with ${label} again.`,
      };
    case 'linked_elsewhere':
      return {
        status: 403,
        heading: `This account is linked to another ${label} account`,
        message: `The TutorMax account for${address} already signs in with a different ${label} account. Use that one, or ${ASK_ADMIN.toLowerCase()} to change it.`,
      };
  }
}
