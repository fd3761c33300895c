import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { NotificationLinks } from '../notifications/notification-links';
import { IngestionService } from '../tutoring/ingestion/ingestion.service';
import { ageOn } from '../tutoring/student-age';
import {
  COPPA_AGE,
  IMPROVEMENT_AREAS,
  ImprovementArea,
  WORK_AGAIN_ANSWERS,
  WorkAgainAnswer,
} from '../tutoring/tutoring.constants';

export const SUB_RATINGS = [
  { field: 'subjectKnowledgeRating', label: 'Knows the subject' },
  { field: 'communicationRating', label: 'Explains clearly' },
  { field: 'patienceRating', label: 'Patient' },
  { field: 'engagementRating', label: 'Kept me engaged' },
  { field: 'helpfulnessRating', label: 'Helpful overall' },
] as const;
type SubRatingField = (typeof SUB_RATINGS)[number]['field'];

export const MAX_COMMENT = 2000;

/** Why a link cannot take feedback; each has its own page text. */
export type Closed = 'unknown' | 'expired' | 'used' | 'not-completed' | 'consent-required';

export interface FeedbackSession {
  sessionId: string;
  sessionExternalId: string;
  firstSession: boolean;
  tutorFirstName: string;
  subject: string;
  date: string;
  respondent: 'student' | 'parent';
}

export interface FeedbackAnswers {
  overallRating: number;
  subRatings: Partial<Record<SubRatingField, number>>;
  workAgain: WorkAgainAnswer | null;
  improvementAreas: ImprovementArea[];
  comments: string | null;
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Reads form values that may be missing, a string, or repeated (an array). */
const values = (v: unknown): string[] =>
  v === undefined || v === null ? [] : (Array.isArray(v) ? v : [v]).map(String);

/** Parses the posted form; returns field errors, never throws for bad input. */
export function parseAnswers(
  body: Record<string, unknown>,
  firstSession: boolean,
): { answers?: FeedbackAnswers; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const rating = (name: string, required: boolean): number | undefined => {
    const [v] = values(body[name]);
    if (v === undefined || v === '') {
      if (required) errors[name] = 'Choose a rating from 1 to 5';
      return undefined;
    }
    if (!/^[1-5]$/.test(v)) {
      errors[name] = 'A rating is a whole number from 1 to 5';
      return undefined;
    }
    return Number(v);
  };
  const overall = rating('overallRating', true);
  const subRatings: Partial<Record<SubRatingField, number>> = {};
  for (const { field } of SUB_RATINGS) {
    const r = rating(field, false);
    if (r !== undefined) subRatings[field] = r;
  }
  const [workAgainRaw] = values(body.workAgain);
  let workAgain: WorkAgainAnswer | null = null;
  if (workAgainRaw) {
    if ((WORK_AGAIN_ANSWERS as readonly string[]).includes(workAgainRaw))
      workAgain = workAgainRaw as WorkAgainAnswer;
    else errors.workAgain = 'Choose yes, maybe, probably not or no';
  } else if (firstSession) {
    errors.workAgain = 'Tell us whether you would want to work with this tutor again';
  }
  const areas = [...new Set(values(body.improvementAreas))];
  const unknown = areas.filter((a) => !(IMPROVEMENT_AREAS as readonly string[]).includes(a));
  if (unknown.length) errors.improvementAreas = 'Choose improvement areas from the list';
  const [commentRaw] = values(body.comments);
  const comments = commentRaw?.trim() ? commentRaw.trim() : null;
  if (comments && comments.length > MAX_COMMENT)
    errors.comments = `Comments can be at most ${MAX_COMMENT} characters (you wrote ${comments.length})`;
  if (Object.keys(errors).length || overall === undefined) return { errors };
  return {
    errors,
    answers: {
      overallRating: overall,
      subRatings,
      workAgain,
      improvementAreas: areas as ImprovementArea[],
      comments,
    },
  };
}

/**
 * The student feedback form behind the emailed link: the link is signed by
 * the notifications module (7 days), used once (feedback_token_uses), refused
 * for an under-13 student without verified parental consent, and the answers
 * are stored through the tutoring module's ingestion service, so the usual
 * outbox events (evaluation, rules) follow.
 */
@Injectable()
export class FeedbackFormService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly links: NotificationLinks,
    private readonly ingestion: IngestionService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** The session the link is for, or why it cannot take feedback. */
  async open(token: string): Promise<FeedbackSession | { closed: Closed }> {
    const now = this.clock.now();
    const claim = this.links.verifyFeedback(token, now);
    if (!claim) {
      // A genuine link past its date says "expired"; anything else is unknown.
      const late = this.links.verifyFeedback(token, new Date(0));
      return { closed: late ? 'expired' : 'unknown' };
    }
    const [row]: {
      id: string;
      external_id: string;
      status: string;
      session_number: number;
      subject: string;
      scheduled_start: Date;
      tutor_name: string;
      birth_year: number;
      birth_month: number;
      parent_consent_status: string;
      has_feedback: boolean;
      used: boolean;
    }[] = await this.dataSource.query(
      `SELECT s.id, s.external_id, s.status, s.session_number, s.subject, s.scheduled_start,
              t.name AS tutor_name, st.birth_year, st.birth_month, st.parent_consent_status,
              EXISTS (SELECT 1 FROM student_feedback f WHERE f.session_id = s.id) AS has_feedback,
              EXISTS (SELECT 1 FROM feedback_token_uses u WHERE u.token_hash = $2) AS used
         FROM sessions s JOIN tutors t ON t.id = s.tutor_id JOIN students st ON st.id = s.student_id
        WHERE s.id = $1`,
      [claim.sessionId, tokenHash(token)],
    );
    if (!row) return { closed: 'unknown' };
    if (row.used || row.has_feedback) return { closed: 'used' };
    if (row.status !== 'completed') return { closed: 'not-completed' };
    if (
      ageOn(row.birth_year, row.birth_month, now) < COPPA_AGE &&
      row.parent_consent_status !== 'granted'
    )
      return { closed: 'consent-required' };
    return {
      sessionId: row.id,
      sessionExternalId: row.external_id,
      firstSession: row.session_number === 1,
      tutorFirstName: row.tutor_name.split(' ')[0],
      subject: row.subject,
      date: row.scheduled_start.toISOString().slice(0, 10),
      respondent: claim.respondent,
    };
  }

  /**
   * Uses the link up and stores the answers; `closed` when the link was used
   * meanwhile (a second submission stores nothing).
   */
  async submit(
    token: string,
    session: FeedbackSession,
    answers: FeedbackAnswers,
  ): Promise<{ stored: true; feedbackId: string } | { closed: Closed } | { rejected: string[] }> {
    const hash = tokenHash(token);
    const claimed: unknown[] = await this.dataSource.query(
      `INSERT INTO feedback_token_uses (token_hash, session_id, used_at) VALUES ($1, $2, $3)
       ON CONFLICT (token_hash) DO NOTHING RETURNING token_hash`,
      [hash, session.sessionId, this.clock.now()],
    );
    if (!claimed.length) return { closed: 'used' };
    try {
      const result = await this.ingestion.ingestFeedback([
        {
          externalId: `form-${session.sessionId}`,
          sessionExternalId: session.sessionExternalId,
          overallRating: answers.overallRating,
          ...answers.subRatings,
          ...(answers.workAgain ? { workAgain: answers.workAgain } : {}),
          improvementAreas: answers.improvementAreas,
          ...(answers.comments ? { freeText: answers.comments } : {}),
          submittedAt: this.clock.now().toISOString(),
        },
      ]);
      const [item] = result.results;
      if (item.status === 'rejected') {
        const problems = (item.errors ?? []).map((e) => e.message);
        if (problems.some((m) => /already has feedback/.test(m))) return { closed: 'used' };
        await this.release(hash);
        return { rejected: problems };
      }
      await this.audit.record({
        action: 'compliance.feedback_submitted',
        outcome: 'success',
        actor: { type: 'anonymous', id: null },
        resourceType: 'session',
        resourceId: session.sessionId,
        details: { feedbackId: item.id, respondent: session.respondent },
      });
      return { stored: true, feedbackId: item.id! };
    } catch (error) {
      await this.release(hash);
      throw error;
    }
  }

  /** Gives the link back when nothing was stored (invalid answers, a transient failure). */
  private async release(hash: string): Promise<void> {
    await this.dataSource.query('DELETE FROM feedback_token_uses WHERE token_hash = $1', [hash]);
  }
}
