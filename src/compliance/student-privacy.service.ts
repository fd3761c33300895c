import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Directory-information opt-out per student (FERPA). */
@Injectable()
export class StudentPrivacyService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The students among `ids` who opted out of directory information. */
  async optedOut(ids: readonly string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows: { student_id: string }[] = await this.dataSource.query(
      'SELECT student_id FROM student_privacy_settings WHERE directory_opt_out AND student_id = ANY($1::uuid[])',
      [[...new Set(ids)]],
    );
    return new Set(rows.map((r) => r.student_id));
  }

  async setDirectoryOptOut(studentId: string, optOut: boolean): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO student_privacy_settings (student_id, directory_opt_out, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (student_id) DO UPDATE SET directory_opt_out = EXCLUDED.directory_opt_out, updated_at = now()`,
      [studentId, optOut],
    );
  }
}
