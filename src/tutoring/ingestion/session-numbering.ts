import { EntityManager } from 'typeorm';

export interface IncomingSession {
  externalId: string;
  tutorId: string;
  studentId: string;
  /** ISO date-time */
  scheduledStart: string;
}

export interface NumberingPlan {
  /** session_number to insert for each new session. */
  numbers: Map<string, number>;
  /** Pairs whose stored numbers must be recomputed after the upsert. */
  renumber: [string, string][];
}

const pairKey = (tutorId: string, studentId: string) => `${tutorId}|${studentId}`;
const byStart = (a: IncomingSession, b: IncomingSession) =>
  Date.parse(a.scheduledStart) - Date.parse(b.scheduledStart) ||
  (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0);

/**
 * Session numbers are the position of a session in its tutor–student pair's
 * history, ordered by (scheduled_start, external_id); 1 is the first session.
 *
 * Sessions usually arrive in time order, so a new session's number is simply
 * the pair's stored count plus its rank among the batch's new sessions of that
 * pair — computed before the insert, with no second write. Only pairs where a
 * session arrives out of order, moves in time or changes pair are renumbered
 * after the upsert (see renumberPairs).
 */
export async function planSessionNumbers(
  manager: EntityManager,
  incoming: IncomingSession[],
): Promise<NumberingPlan> {
  const renumber = new Map<string, [string, string]>();
  const previous: {
    external_id: string;
    tutor_id: string;
    student_id: string;
    scheduled_start: Date;
  }[] = await manager.query(
    'SELECT external_id, tutor_id, student_id, scheduled_start FROM sessions WHERE external_id = ANY($1::varchar[])',
    [incoming.map((s) => s.externalId)],
  );
  const stored = new Map(previous.map((p) => [p.external_id, p]));
  const fresh: IncomingSession[] = [];
  for (const s of incoming) {
    const before = stored.get(s.externalId);
    if (!before) {
      fresh.push(s);
    } else if (
      before.tutor_id !== s.tutorId ||
      before.student_id !== s.studentId ||
      before.scheduled_start.getTime() !== Date.parse(s.scheduledStart)
    ) {
      renumber.set(pairKey(before.tutor_id, before.student_id), [
        before.tutor_id,
        before.student_id,
      ]);
      renumber.set(pairKey(s.tutorId, s.studentId), [s.tutorId, s.studentId]);
    }
  }

  const groups = new Map<string, IncomingSession[]>();
  for (const s of fresh) {
    const key = pairKey(s.tutorId, s.studentId);
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  const numbers = new Map<string, number>();
  if (!groups.size) return { numbers, renumber: [...renumber.values()] };

  const pairs = [...groups.values()].map((g) => [g[0].tutorId, g[0].studentId]);
  const stats: {
    tutor_id: string;
    student_id: string;
    n: number;
    last_start: Date | null;
    last_external_id: string | null;
  }[] = await manager.query(
    `SELECT p.tutor_id, p.student_id, count(s.id)::int AS n,
              (array_agg(s.scheduled_start ORDER BY s.scheduled_start DESC, s.external_id DESC))[1] AS last_start,
              (array_agg(s.external_id ORDER BY s.scheduled_start DESC, s.external_id DESC))[1] AS last_external_id
       FROM unnest($1::uuid[], $2::uuid[]) AS p(tutor_id, student_id)
       LEFT JOIN sessions s ON s.tutor_id = p.tutor_id AND s.student_id = p.student_id
       GROUP BY p.tutor_id, p.student_id`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
  for (const st of stats) {
    const key = pairKey(st.tutor_id, st.student_id);
    const group = groups.get(key)!.sort(byStart);
    const first = group[0];
    const appends =
      !st.last_start ||
      Date.parse(first.scheduledStart) > st.last_start.getTime() ||
      (Date.parse(first.scheduledStart) === st.last_start.getTime() &&
        first.externalId > st.last_external_id!);
    if (!appends) renumber.set(key, [st.tutor_id, st.student_id]);
    group.forEach((s, i) => numbers.set(s.externalId, st.n + i + 1));
  }
  return { numbers, renumber: [...renumber.values()] };
}

/** Recomputes the numbers of whole pairs; only rows whose number changes are written. */
export async function renumberPairs(
  manager: EntityManager,
  pairs: [string, string][],
): Promise<void> {
  if (!pairs.length) return;
  await manager.query(
    `UPDATE sessions s SET session_number = r.rn
     FROM (
       SELECT id, row_number() OVER (PARTITION BY tutor_id, student_id ORDER BY scheduled_start, external_id) AS rn
       FROM sessions
       WHERE (tutor_id, student_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))
     ) r
     WHERE s.id = r.id AND s.session_number IS DISTINCT FROM r.rn`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
}
