import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import type { Page } from '../common/pagination';
import { ageOn } from '../tutoring/student-age';
import { COPPA_AGE } from '../tutoring/tutoring.constants';
import { SelfServiceQueries, StudentSession } from './self-service-queries.service';

/** Where a student (or the parent of a child under 13) manages their privacy. */
export const PRIVACY_PATH = '/privacy';

export interface StudentProfile {
  firstName: string;
  /** The account belongs to the parent of a child under 13 (COPPA). */
  parentOfChildUnder13: boolean;
  links: { label: string; href: string }[];
}

/** A student's own view: their sessions and the feedback they gave, and privacy links. */
@Injectable()
export class StudentSelfService {
  constructor(
    private readonly queries: SelfServiceQueries,
    private readonly clock: Clock,
  ) {}

  studentIdOf(principal: Principal | undefined): string {
    if (principal?.kind !== 'user' || !principal.studentId)
      throw new DetailedHttpError(404, 'your account is not linked to a student record');
    return principal.studentId;
  }

  async profile(studentId: string): Promise<StudentProfile> {
    const basics = await this.queries.studentBasics(studentId);
    if (!basics) throw new DetailedHttpError(404, 'your student record no longer exists');
    const under13 = ageOn(basics.birthYear, basics.birthMonth, this.clock.now()) < COPPA_AGE;
    const links = [
      { label: 'Download a copy of my data', href: PRIVACY_PATH },
      { label: 'Ask for a correction', href: PRIVACY_PATH },
      { label: 'Ask for my data to be erased', href: PRIVACY_PATH },
    ];
    if (under13)
      links.push(
        { label: 'Parental consent', href: PRIVACY_PATH },
        { label: 'Review my child’s information', href: PRIVACY_PATH },
      );
    return {
      firstName: basics.name.split(/\s+/)[0] ?? '',
      parentOfChildUnder13: under13,
      links,
    };
  }

  sessions(studentId: string, limit: number, cursor?: string): Promise<Page<StudentSession>> {
    return this.queries.studentSessions(studentId, limit, cursor);
  }

  feedback(studentId: string, limit: number, cursor?: string) {
    return this.queries.studentFeedback(studentId, limit, cursor);
  }
}
