import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { AuditActor } from '../audit/audit-request';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import { CATEGORIES, NotificationLinks } from '../notifications/notification-links';
import { NotificationsService } from '../notifications/notifications.service';
import { FieldCipher } from '../security/field-cipher';
import { Feedback } from '../tutoring/entities/feedback.entity';
import { Student } from '../tutoring/entities/student.entity';
import { TutoringSession } from '../tutoring/entities/tutoring-session.entity';
import { ageOn } from '../tutoring/student-age';
import { COPPA_AGE } from '../tutoring/tutoring.constants';
import { DisclosureLog } from './disclosure-log.service';
import { ErasureLedger, LedgerLine } from './erasure-ledger.service';
import { ERASED_NAMES, eraseSubject } from './erasure';
import { ParentalConsent } from './entities/parental-consent.entity';
import { PersonalDataRegistry } from './personal-data-registry';

export const PARENT_LINK_DAYS = 7;
export const CONSENT_METHOD = 'email-link-signed-form';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const SYSTEM: AuditActor = { type: 'system', id: null };
const PARENT: AuditActor = { type: 'anonymous', id: null };

export interface ParentLink {
  studentId: string;
  purpose: 'consent' | 'manage';
}

/** What an ingestion's automatic consent request did. */
export type AutomaticRequestOutcome =
  'requested' | 'already-requested' | 'awaiting-parent-contact' | 'not-applicable';

/** An under-13 student still waiting for verified consent, as staff see them (no personal values). */
export interface ChildAwaitingConsent {
  id: string;
  externalId: string;
  birth: string;
  gradeLevel: string | null;
  state: 'awaiting_parent_contact' | 'awaiting_consent';
  consentRequestedAt: Date | null;
  createdAt: Date;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * How emails name a child without their name (never stored before consent):
 * grade and month of birth, e.g. "grade 4, born March 2016".
 */
export function childDescription(
  student: Pick<Student, 'gradeLevel' | 'birthYear' | 'birthMonth'>,
): string {
  const grade = student.gradeLevel?.trim();
  const born = `born ${MONTHS[student.birthMonth - 1]} ${student.birthYear}`;
  if (!grade) return born;
  return `${/^\d+$/.test(grade) ? `grade ${grade}` : grade}, ${born}`;
}

/** The child's first name once it is stored; "your child (grade …, born …)" before. */
const childLabel = (student: Student): string =>
  ERASED_NAMES.has(student.name)
    ? `your child (${childDescription(student)})`
    : student.name.split(' ')[0];

/**
 * COPPA (DOMAIN.md §8.2): a child under 13 needs verifiable parental consent.
 * Parents have no account; every parent action goes through an emailed
 * single-use link (7 days, stored hashed): consent (a signed form; method,
 * time, IP and evidence recorded), then a manage link to review, download,
 * revoke (which anonymises) or have the child's data deleted.
 */
@Injectable()
export class CoppaService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly notifications: NotificationsService,
    private readonly links: NotificationLinks,
    private readonly registry: PersonalDataRegistry,
    private readonly disclosures: DisclosureLog,
    private readonly audit: AuditService,
    private readonly cipher: FieldCipher,
    private readonly ledger: ErasureLedger,
    private readonly clock: Clock,
  ) {}

  private async child(
    studentId: string,
    m: EntityManager = this.dataSource.manager,
  ): Promise<Student> {
    const student = await m.getRepository(Student).findOneBy({ id: studentId });
    if (!student) throw new DetailedHttpError(404, `No student with id ${studentId}`);
    if (ageOn(student.birthYear, student.birthMonth, this.clock.now()) >= COPPA_AGE)
      throw new DetailedHttpError(
        409,
        `The student is ${COPPA_AGE} or older; COPPA consent does not apply`,
      );
    return student;
  }

  private async issue(
    m: EntityManager,
    studentId: string,
    purpose: 'consent' | 'manage',
  ): Promise<string> {
    const now = this.clock.now();
    await m.query(
      'UPDATE parent_link_tokens SET used_at = $3 WHERE student_id = $1 AND purpose = $2 AND used_at IS NULL',
      [studentId, purpose, now],
    );
    const token = randomBytes(32).toString('base64url');
    await m.query(
      `INSERT INTO parent_link_tokens (token_hash, student_id, purpose, expires_at, created_at, sent_to_index)
       VALUES ($1, $2, $3, $4, $5, (SELECT parent_email_index FROM students WHERE id = $2))`,
      [
        sha256(token),
        studentId,
        purpose,
        new Date(now.getTime() + PARENT_LINK_DAYS * 86_400_000),
        now,
      ],
    );
    return token;
  }

  private async send(
    m: EntityManager,
    student: Student,
    purpose: 'consent' | 'manage',
    token: string,
  ): Promise<void> {
    await this.notifications.notify(
      {
        workflow: purpose === 'consent' ? 'coppa-consent' : 'coppa-manage',
        entityKey: sha256(token).slice(0, 32),
        category: CATEGORIES.account,
        template: purpose === 'consent' ? 'coppa-consent' : 'coppa-manage',
        to: { kind: 'parent', id: student.id, email: student.parentEmail! },
        context: {
          // Before consent the email names the child by grade and birth month only.
          child: purpose === 'consent' ? childDescription(student) : childLabel(student),
          url: this.links.url(`/parents/${token}`),
          days: PARENT_LINK_DAYS,
        },
      },
      m,
    );
  }

  /** Emails the parent a consent link (the first, or a new one: earlier links stop working). */
  async requestConsent(studentId: string, actor: AuditActor = SYSTEM): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const student = await this.child(studentId, m);
      if (!student.parentEmail)
        throw new DetailedHttpError(409, 'The student has no parent email to ask');
      if (student.parentConsentStatus === 'granted')
        throw new DetailedHttpError(409, 'Consent is already verified for this student');
      const token = await this.issue(m, studentId, 'consent');
      await this.send(m, student, 'consent', token);
      await this.audit.record(
        {
          action: 'coppa.consent_requested',
          outcome: 'success',
          actor,
          resourceType: 'student',
          resourceId: studentId,
        },
        m,
      );
    });
  }

  /**
   * After an ingestion (student.consent-needed): emails the parent of an under-13
   * student without verified consent a consent link, once per child and
   * parent address (a re-ingestion sends nothing; a new parent address gets
   * a new link). Without a parent address the child waits for a parent
   * contact, listed on the staff page.
   */
  async requestConsentOnIngest(studentId: string): Promise<AutomaticRequestOutcome> {
    return this.dataSource.transaction(async (m) => {
      const [row]: {
        birth_year: number;
        birth_month: number;
        parent_consent_status: string;
        parent_email_index: string | null;
        external_id: string;
      }[] = await m.query(
        `SELECT birth_year, birth_month, parent_consent_status, parent_email_index, external_id
           FROM students WHERE id = $1 FOR UPDATE`,
        [studentId],
      );
      if (
        !row ||
        row.external_id.startsWith('erased-') ||
        ageOn(row.birth_year, row.birth_month, this.clock.now()) >= COPPA_AGE ||
        row.parent_consent_status === 'granted' ||
        row.parent_consent_status === 'revoked'
      )
        return 'not-applicable';
      if (!row.parent_email_index) return 'awaiting-parent-contact';
      const [sent]: unknown[] = await m.query(
        `SELECT 1 FROM parent_link_tokens WHERE student_id = $1 AND purpose = 'consent' AND sent_to_index = $2 LIMIT 1`,
        [studentId, row.parent_email_index],
      );
      if (sent) return 'already-requested';
      const student = await this.child(studentId, m);
      const token = await this.issue(m, studentId, 'consent');
      await this.send(m, student, 'consent', token);
      await this.audit.record(
        {
          action: 'coppa.consent_requested',
          outcome: 'success',
          actor: SYSTEM,
          resourceType: 'student',
          resourceId: studentId,
          details: { automatic: true },
        },
        m,
      );
      return 'requested';
    });
  }

  /** Under-13 students still waiting for consent, oldest first (the staff page). */
  async childrenAwaitingConsent(
    state?: ChildAwaitingConsent['state'],
    limit = 500,
  ): Promise<ChildAwaitingConsent[]> {
    const rows: {
      id: string;
      external_id: string;
      birth_year: number;
      birth_month: number;
      grade_level: string | null;
      has_parent: boolean;
      requested_at: Date | null;
      created_at: Date;
    }[] = await this.dataSource.query(
      `SELECT s.id, s.external_id, s.birth_year, s.birth_month, s.grade_level, s.created_at,
              s.parent_email IS NOT NULL AS has_parent,
              (SELECT max(t.created_at) FROM parent_link_tokens t
                WHERE t.student_id = s.id AND t.purpose = 'consent') AS requested_at
         FROM students s
        WHERE s.parent_consent_status = 'pending' AND s.external_id NOT LIKE 'erased-%'
          AND ($1::text IS NULL OR (s.parent_email IS NULL) = ($1 = 'awaiting_parent_contact'))
        ORDER BY s.created_at, s.id LIMIT $2`,
      [state ?? null, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      externalId: r.external_id,
      birth: `${r.birth_year}-${String(r.birth_month).padStart(2, '0')}`,
      gradeLevel: r.grade_level,
      state: r.has_parent ? 'awaiting_consent' : 'awaiting_parent_contact',
      consentRequestedAt: r.requested_at,
      createdAt: r.created_at,
    }));
  }

  /** What a valid, unused link is for; null for an unknown, used or expired one. */
  async peek(token: string): Promise<ParentLink | null> {
    const [row]: { student_id: string; purpose: 'consent' | 'manage' }[] =
      await this.dataSource.query(
        'SELECT student_id, purpose FROM parent_link_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2',
        [sha256(token), this.clock.now()],
      );
    return row ? { studentId: row.student_id, purpose: row.purpose } : null;
  }

  private async consume(
    m: EntityManager,
    token: string,
    purpose: 'consent' | 'manage',
  ): Promise<string> {
    const [rows]: [{ student_id: string }[], number] = await m.query(
      `UPDATE parent_link_tokens SET used_at = $3
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING student_id`,
      [sha256(token), purpose, this.clock.now()],
    );
    if (!rows[0])
      throw new DetailedHttpError(
        410,
        'This link has been used or has expired; nothing was changed',
      );
    return rows[0].student_id;
  }

  /** The parent signs the consent form: consent is verified and a manage link is emailed. */
  async consent(token: string, signature: string, ip: string | null): Promise<void> {
    if (!signature.trim() || signature.length > 200)
      throw new DetailedHttpError(400, 'Type your full name (up to 200 characters) to sign');
    await this.dataSource.transaction(async (m) => {
      const studentId = await this.consume(m, token, 'consent');
      const student = await this.child(studentId, m);
      const now = this.clock.now();
      const repo = m.getRepository(ParentalConsent);
      const record = await repo.save(
        repo.create({
          studentId,
          status: 'granted',
          method: CONSENT_METHOD,
          grantedAt: now,
          ipEnc: this.cipher.encryptNullable(ip),
          evidenceRef: `signed-form:${sha256(`${studentId}|${signature.trim()}|${now.toISOString()}`)}`,
        }),
      );
      await m.query(
        `UPDATE students SET parent_consent_status = 'granted', parent_consent_at = $2, updated_at = now() WHERE id = $1`,
        [studentId, now],
      );
      await this.send(m, student, 'manage', await this.issue(m, studentId, 'manage'));
      await this.audit.record(
        {
          action: 'coppa.consent_granted',
          outcome: 'success',
          actor: PARENT,
          resourceType: 'student',
          resourceId: studentId,
          details: { consentId: record.id, method: CONSENT_METHOD },
        },
        m,
      );
    });
  }

  /** The child's data as the parent reviews it (logged as a disclosure to the parent). */
  async review(studentId: string): Promise<Record<string, unknown>> {
    const student = await this.child(studentId);
    const sessions = await this.dataSource.getRepository(TutoringSession).find({
      where: { studentId },
      order: { scheduledStart: 'DESC' },
    });
    const feedback = await this.dataSource.getRepository(Feedback).find({
      where: { studentId },
      order: { submittedAt: 'DESC' },
    });
    await this.disclosures.record({
      studentIds: [studentId],
      viewer: {
        kind: 'parent',
        studentId,
        consentVerified: student.parentConsentStatus === 'granted',
      },
      recordKind: 'student_record',
      basis: 'parent_consent',
      requestPath: '/parents/:token',
    });
    return { student, sessions, feedback };
  }

  /** Download: uses the link up, returns the data, and emails a fresh manage link. */
  async download(token: string): Promise<Record<string, unknown>> {
    const studentId = await this.dataSource.transaction(async (m) => {
      const id = await this.consume(m, token, 'manage');
      const student = await this.child(id, m);
      await this.send(m, student, 'manage', await this.issue(m, id, 'manage'));
      await this.audit.record(
        {
          action: 'coppa.parent_download',
          outcome: 'success',
          actor: PARENT,
          resourceType: 'student',
          resourceId: id,
        },
        m,
      );
      return id;
    });
    return { generatedAt: this.clock.now().toISOString(), ...(await this.review(studentId)) };
  }

  /**
   * Revoke consent (anonymises the child's personal fields) or, with
   * `deleteAll`, erase the child's data everywhere (every handler plus the free-text scrub).
   */
  async revoke(token: string, deleteAll: boolean): Promise<void> {
    let line: LedgerLine | null = null;
    await this.dataSource.transaction(async (m) => {
      const studentId = await this.consume(m, token, 'manage');
      await this.child(studentId, m);
      const [hold]: unknown[] = await m.query(
        'SELECT 1 FROM legal_holds WHERE released_at IS NULL AND student_id = $1',
        [studentId],
      );
      const now = this.clock.now();
      const handlers = deleteAll
        ? this.registry.all()
        : this.registry.all().filter((h) => h.name === 'tutoring');
      const counts = hold
        ? {}
        : await eraseSubject(m, this.cipher, handlers, { userId: null, tutorId: null, studentId });
      // A deletion is an erasure: in the ledger, so a restore from backup replays it.
      if (deleteAll && !hold)
        line = await this.ledger.insert(m, {
          requestId: null,
          subjectUserId: null,
          tutorId: null,
          studentId,
          erasedAt: now,
        });
      await m.query(
        `UPDATE students SET parent_consent_status = 'revoked', parent_consent_at = NULL, updated_at = now() WHERE id = $1`,
        [studentId],
      );
      await m.query(
        `UPDATE parental_consents SET status = 'revoked', revoked_at = $2 WHERE student_id = $1 AND status = 'granted'`,
        [studentId, now],
      );
      await m.query(
        'UPDATE parent_link_tokens SET used_at = $2 WHERE student_id = $1 AND used_at IS NULL',
        [studentId, now],
      );
      await this.audit.record(
        {
          action: deleteAll ? 'coppa.deletion_completed' : 'coppa.consent_revoked',
          outcome: 'success',
          actor: PARENT,
          resourceType: 'student',
          resourceId: studentId,
          details: {
            tables: counts,
            legalHold: !!hold,
            ...(line ? { ledgerSeq: (line as LedgerLine).seq } : {}),
          },
        },
        m,
      );
    });
    if (line) this.ledger.append(line);
  }
}
