import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { parse } from 'csv-parse/sync';
import { DataSource } from 'typeorm';
import { AUDIT_ACTIONS } from '../audit/audit-actions';
import { FieldError } from '../common/error-body';
import { AuditContext, AuthAudit } from './auth-audit';
import { stripHtml } from '../security/plain-text';
import { Role, ROLES, User } from './entities/user.entity';
import { OneTimeTokenService } from './one-time-token.service';
import { normaliseEmail, UsersService } from './users.service';

export const MAX_IMPORT_ROWS = 10_000;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export interface ImportRowReport {
  /** 1-based line number in the file, counting the header as line 1. */
  line: number;
  email: string;
  errors: FieldError[];
}

export interface ImportReport {
  dryRun: boolean;
  rows: number;
  valid: number;
  invalid: number;
  created: number;
  errors: ImportRowReport[];
}

interface ParsedRow {
  line: number;
  email: string;
  fullName: string;
  roles: Role[];
}

/**
 * CSV user import: `email,full_name,roles`. A dry run reports every row's
 * problems and writes nothing; a real import writes all rows or none, then
 * emails each new user an invitation to set a password.
 */
@Injectable()
export class UserImportService {
  private readonly logger = new Logger('UserImport');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly oneTimeTokens: OneTimeTokenService,
    private readonly audit: AuthAudit,
  ) {}

  async run(csv: string, dryRun: boolean, audit?: AuditContext): Promise<ImportReport> {
    const { rows, errors } = await this.check(csv);
    const report: ImportReport = {
      dryRun,
      rows: rows.length + errors.length,
      valid: rows.length,
      invalid: errors.length,
      created: 0,
      errors,
    };
    if (dryRun || errors.length || rows.length === 0) return report;
    const created = await this.dataSource.transaction(async (m) => {
      const saved = await m.getRepository(User).save(
        rows.map((r) =>
          m
            .getRepository(User)
            .create({ email: r.email, fullName: r.fullName, roles: r.roles, isActive: true }),
        ),
        { chunk: 500 },
      );
      const invites: { user: User; token: string }[] = [];
      for (const user of saved)
        invites.push({ user, token: await this.oneTimeTokens.issue(user.id, 'invite', m) });
      await this.audit.record(
        audit,
        {
          action: AUDIT_ACTIONS.userCreated,
          details: { via: 'csv_import', count: saved.length, userIds: saved.map((u) => u.id) },
        },
        m,
      );
      return invites;
    });
    report.created = created.length;
    // Invitations go out after the commit; one failing address does not undo the import.
    void (async () => {
      for (const { user, token } of created) {
        await this.users
          .sendInviteLink(user, token)
          .catch((e: Error) =>
            this.logger.warn(`invite to user ${user.id} not sent: ${e.message}`),
          );
      }
    })();
    return report;
  }

  private async check(csv: string): Promise<{ rows: ParsedRow[]; errors: ImportRowReport[] }> {
    let records: string[][];
    try {
      records = parse(csv, {
        skip_empty_lines: true,
        trim: true,
        relax_column_count: true,
        bom: true,
      });
    } catch (error) {
      return {
        rows: [],
        errors: [
          {
            line: 0,
            email: '',
            errors: [{ field: 'csv', message: `not valid CSV: ${(error as Error).message}` }],
          },
        ],
      };
    }
    const [header, ...body] = records;
    const columns = (header ?? []).map((h) => h.toLowerCase().replace(/\s+/g, '_'));
    const col = (name: string) => columns.indexOf(name);
    const missing = ['email', 'full_name', 'roles'].filter((c) => col(c) < 0);
    if (missing.length) {
      return {
        rows: [],
        errors: [
          {
            line: 1,
            email: '',
            errors: [
              {
                field: 'header',
                message: `missing column(s): ${missing.join(', ')}; expected email,full_name,roles`,
              },
            ],
          },
        ],
      };
    }
    if (body.length > MAX_IMPORT_ROWS) {
      return {
        rows: [],
        errors: [
          {
            line: 0,
            email: '',
            errors: [
              {
                field: 'csv',
                message: `${body.length} rows; at most ${MAX_IMPORT_ROWS} per import`,
              },
            ],
          },
        ],
      };
    }
    const emails = body.map((r) => normaliseEmail(r[col('email')] ?? ''));
    const existing = new Set(
      (
        (await this.dataSource.query('SELECT email FROM users WHERE email = ANY($1::varchar[])', [
          emails,
        ])) as { email: string }[]
      ).map((r) => r.email),
    );
    const seen = new Map<string, number>();
    const rows: ParsedRow[] = [];
    const errors: ImportRowReport[] = [];
    body.forEach((record, i) => {
      const line = i + 2;
      const email = emails[i];
      const fullName = stripHtml(record[col('full_name')] ?? '');
      const roleNames = (record[col('roles')] ?? '')
        .split(/[;|]/)
        .map((r) => r.trim())
        .filter(Boolean);
      const problems: FieldError[] = [];
      if (!EMAIL.test(email)) problems.push({ field: 'email', message: 'not an email address' });
      else if (existing.has(email))
        problems.push({ field: 'email', message: 'a user with this email already exists' });
      else if (seen.has(email))
        problems.push({ field: 'email', message: `repeats line ${seen.get(email)}` });
      if (!fullName) problems.push({ field: 'full_name', message: 'is required' });
      else if (fullName.length > 200)
        problems.push({ field: 'full_name', message: 'is longer than 200 characters' });
      const unknown = roleNames.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (unknown.length)
        problems.push({
          field: 'roles',
          message: `unknown role(s): ${unknown.join(', ')}; allowed: ${ROLES.join(', ')}`,
        });
      if (EMAIL.test(email) && !seen.has(email)) seen.set(email, line);
      if (problems.length) errors.push({ line, email, errors: problems });
      else rows.push({ line, email, fullName, roles: [...new Set(roleNames)] as Role[] });
    });
    return { rows, errors };
  }
}
