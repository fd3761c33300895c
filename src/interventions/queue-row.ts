import { INTERVENTION_TYPE_INFO, InterventionStatus } from './intervention.constants';
import type { InterventionSummary } from './interventions.service';

export const STATUS_LABEL: Record<InterventionStatus, string> = {
  open: 'Open',
  assigned: 'Assigned',
  in_progress: 'In progress',
  waiting: 'Waiting on tutor',
  completed: 'Completed',
  cancelled: 'Cancelled',
};
export const SLA_LABEL: Record<string, string> = {
  on_track: 'On track',
  at_risk: 'At risk',
  breached: 'Breached',
  paused: 'Paused',
  met: 'Met',
  missed: 'Missed',
};

/** "in 3 h 20 min" / "2 d 4 h ago". */
export function relative(ms: number): string {
  const abs = Math.abs(ms);
  const m = Math.round(abs / 60_000);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  const span = d ? `${d} d ${h} h` : h ? `${h} h ${min} min` : `${min} min`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}
export const when = (iso: string | null) =>
  iso ? iso.replace('T', ' ').slice(0, 16) + ' UTC' : '';

/** A queue row as the pages show it. */
export function queueRow(i: InterventionSummary, now: number) {
  const due = i.slaDueAt ? Date.parse(i.slaDueAt) : null;
  return {
    ...i,
    typeLabel: INTERVENTION_TYPE_INFO[i.type].label,
    statusLabel: STATUS_LABEL[i.status],
    slaLabel: SLA_LABEL[i.slaState],
    dueRelative: due === null ? '' : relative(due - now),
    dueAbsolute: when(i.slaDueAt),
    dueIso: i.slaDueAt ?? '',
    age: relative(Date.parse(i.createdAt) - now).replace(' ago', ''),
  };
}
