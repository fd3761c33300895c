import type { InterventionStatus } from './intervention.constants';

/**
 * The status workflow, enforced on the server (DOMAIN.md §6.3 fixed):
 * open → assigned → in_progress ⇄ waiting → completed, and cancelled from any
 * non-final state. `assigned` is entered only through an assignment; the
 * system alone completes an automated intervention straight from `open`.
 */
export const TRANSITIONS: Record<InterventionStatus, readonly InterventionStatus[]> = {
  open: ['assigned', 'cancelled'],
  assigned: ['in_progress', 'cancelled'],
  in_progress: ['waiting', 'completed', 'cancelled'],
  waiting: ['in_progress', 'completed', 'cancelled'],
  completed: [],
  cancelled: [],
};

export type TransitionProblem =
  { kind: 'illegal'; message: string } | { kind: 'missing'; message: string };

/** Why a move by a person is refused, or null when it is allowed. */
export function transitionProblem(
  from: InterventionStatus,
  to: InterventionStatus,
  fields: { outcome?: string | null; reason?: string | null },
): TransitionProblem | null {
  if (to === 'assigned' && from === 'open')
    return { kind: 'illegal', message: 'assign it instead (POST …/assign with an assigneeId)' };
  if (!TRANSITIONS[from].includes(to)) {
    const allowed = TRANSITIONS[from].filter((s) => s !== 'assigned');
    return {
      kind: 'illegal',
      message: allowed.length
        ? `an intervention that is ${from} cannot move to ${to}; it can move to ${allowed.join(', ')}`
        : `an intervention that is ${from} is final and cannot move to ${to}`,
    };
  }
  if (to === 'completed' && !fields.outcome)
    return { kind: 'missing', message: 'completing an intervention needs an outcome' };
  if (to === 'cancelled' && !fields.reason?.trim())
    return { kind: 'missing', message: 'cancelling an intervention needs a reason' };
  return null;
}

/** The moves a person may offer from a state (for pages). */
export const nextStatuses = (from: InterventionStatus) =>
  TRANSITIONS[from].filter((s) => s !== 'assigned');
