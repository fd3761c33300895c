import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  DataSubject,
  ExportedTable,
  PersonalDataHandler,
  PersonalDataRegistry,
} from '../compliance/personal-data-registry';
import { FieldCipher } from '../security/field-cipher';
import { Feedback } from './entities/feedback.entity';
import { Student } from './entities/student.entity';
import { TutorEvent } from './entities/tutor-event.entity';
import { Tutor } from './entities/tutor.entity';
import { TutoringSession } from './entities/tutoring-session.entity';
import { sealStudent } from './personal-data';

const plain = (rows: object[]): ExportedTable =>
  rows.map((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>);

/**
 * The tutoring records' personal-data handler (GDPR export and erasure,
 * objection to profiling). Erasure anonymises in place: sessions and feedback
 * ratings stay for aggregates; names, emails, upstream ids, comments and
 * event metadata go.
 */
export function tutoringPersonalData(cipher: FieldCipher): PersonalDataHandler {
  return {
    name: 'tutoring',
    async export(subject: DataSubject, m: EntityManager) {
      const out: Record<string, ExportedTable> = {};
      if (subject.tutorId) {
        out.tutors = plain(await m.getRepository(Tutor).findBy({ id: subject.tutorId }));
        out.tutor_sessions = plain(
          await m.getRepository(TutoringSession).find({
            where: { tutorId: subject.tutorId },
            order: { scheduledStart: 'ASC' },
          }),
        );
        // Feedback about the tutor, as tutors see it: without the student.
        out.feedback_received = plain(
          (
            await m.getRepository(Feedback).find({
              where: { tutorId: subject.tutorId },
              order: { submittedAt: 'ASC' },
            })
          ).map(({ studentId: _s, sessionId: _x, externalId: _e, ...rest }) => rest),
        );
        out.tutor_events = plain(
          await m.getRepository(TutorEvent).find({
            where: { tutorId: subject.tutorId },
            order: { occurredAt: 'ASC' },
          }),
        );
      }
      if (subject.studentId) {
        out.students = plain(await m.getRepository(Student).findBy({ id: subject.studentId }));
        out.student_sessions = plain(
          await m.getRepository(TutoringSession).find({
            where: { studentId: subject.studentId },
            order: { scheduledStart: 'ASC' },
          }),
        );
        out.feedback_given = plain(
          await m.getRepository(Feedback).find({
            where: { studentId: subject.studentId },
            order: { submittedAt: 'ASC' },
          }),
        );
      }
      return out;
    },
    async erase(subject: DataSubject, m: EntityManager) {
      const counts: Record<string, number> = {};
      if (subject.tutorId) {
        const id = subject.tutorId;
        const [, n] = (await m.query(
          `UPDATE tutors SET name = 'Erased tutor', email = 'erased-' || id || '@erased.invalid',
                  external_id = 'erased-' || id, location = NULL, education_level = NULL,
                  behavioral_archetype = NULL, updated_at = now()
            WHERE id = $1`,
          [id],
        )) as [unknown, number];
        counts.tutors = n;
        const [, e] = (await m.query(
          `UPDATE tutor_events SET metadata = '{}'::jsonb WHERE tutor_id = $1 AND metadata <> '{}'::jsonb`,
          [id],
        )) as [unknown, number];
        counts.tutor_events = e;
      }
      if (subject.studentId) {
        const id = subject.studentId;
        const sealed = sealStudent(cipher, {
          name: 'Erased student',
          email: null,
          parentEmail: null,
        });
        const [, n] = (await m.query(
          `UPDATE students SET name = $2, name_hash = $3, email = NULL, email_index = NULL,
                  parent_email = NULL, parent_email_index = NULL, external_id = 'erased-' || id,
                  updated_at = now()
            WHERE id = $1`,
          [id, sealed.name, sealed.nameHash],
        )) as [unknown, number];
        counts.students = n;
        const [, f] = (await m.query(
          'UPDATE student_feedback SET free_text = NULL, free_text_hash = NULL WHERE student_id = $1',
          [id],
        )) as [unknown, number];
        counts.student_feedback = f;
      }
      return counts;
    },
    async objectToProfiling(
      subject: DataSubject,
      m: EntityManager,
    ): Promise<Record<string, number>> {
      if (!subject.tutorId) return {};
      const [, n] = (await m.query(
        'UPDATE tutors SET profiling_objection = true, updated_at = now() WHERE id = $1',
        [subject.tutorId],
      )) as [unknown, number];
      return { tutors: n };
    },
  };
}

/** Registers the tutoring handler with compliance at start-up. */
@Injectable()
export class TutoringPersonalDataRegistration implements OnModuleInit {
  constructor(
    private readonly registry: PersonalDataRegistry,
    private readonly cipher: FieldCipher,
  ) {}

  onModuleInit(): void {
    this.registry.register(tutoringPersonalData(this.cipher));
  }
}
