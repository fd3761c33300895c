import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { ACTOR_TYPES, AUDIT_OUTCOMES } from '../audit-actions';
import type { AuditActorType, AuditOutcome } from '../audit-actions';

/** An empty field of the admin page's filter form means "no filter". */
const EmptyIsUnset = () =>
  Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value));

/** Filters shared by the list, the export and the admin page. Times without a zone are UTC. */
export class AuditFilters {
  @ApiPropertyOptional({ enum: ACTOR_TYPES })
  @EmptyIsUnset()
  @IsOptional()
  @IsIn(ACTOR_TYPES)
  actorType?: AuditActorType;

  @ApiPropertyOptional({ description: 'users.id or an API key id' })
  @EmptyIsUnset()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  actorId?: string;

  @ApiPropertyOptional({
    description: 'An action (auth.sign_in), or every action of an area (auth.*)',
    example: 'auth.*',
  })
  @EmptyIsUnset()
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?$/, {
    message: 'action must be an action name such as auth.sign_in, or an area such as auth.*',
  })
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ example: 'student' })
  @EmptyIsUnset()
  @IsOptional()
  @IsString()
  @MaxLength(50)
  resourceType?: string;

  @ApiPropertyOptional()
  @EmptyIsUnset()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  resourceId?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @EmptyIsUnset()
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  @ApiPropertyOptional()
  @EmptyIsUnset()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  requestId?: string;

  @ApiPropertyOptional({ description: 'Inclusive, ISO 8601' })
  @EmptyIsUnset()
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date or date-time' })
  from?: string;

  @ApiPropertyOptional({ description: 'Exclusive, ISO 8601' })
  @EmptyIsUnset()
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date or date-time' })
  to?: string;
}

/** `GET /api/v1/audit`: newest first, `?limit&cursor`. */
export class AuditListQuery extends IntersectionType(AuditFilters, PageQuery) {}

export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** `GET /api/v1/audit/export`: oldest first, streamed. */
export class AuditExportQuery extends AuditFilters {
  @ApiProperty({ enum: EXPORT_FORMATS, default: 'csv' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format: ExportFormat = 'csv';
}

/** One audit row as admins see it: IP and user agent decrypted. */
export class AuditRecordView {
  @ApiProperty({ description: 'Position in the chain (gapless)' })
  seq: string;

  @ApiProperty()
  occurredAt: string;

  @ApiProperty({ enum: ACTOR_TYPES })
  actorType: AuditActorType;

  @ApiProperty({ type: String, nullable: true })
  actorId: string | null;

  @ApiProperty({ example: 'http.post' })
  action: string;

  @ApiProperty({ type: String, nullable: true })
  resourceType: string | null;

  @ApiProperty({ type: String, nullable: true })
  resourceId: string | null;

  @ApiProperty({ type: String, nullable: true })
  requestId: string | null;

  @ApiProperty({ enum: AUDIT_OUTCOMES })
  outcome: AuditOutcome;

  @ApiProperty({ type: [String], description: 'Names of the changed fields, never values' })
  changedFields: string[];

  @ApiProperty({ type: Object })
  details: Record<string, unknown>;

  @ApiProperty({ type: String, nullable: true, description: 'Null once erased' })
  ip: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Null once erased' })
  userAgent: string | null;

  @ApiProperty()
  prevHash: string;

  @ApiProperty()
  hash: string;
}

export class AuditPage {
  @ApiProperty({ type: [AuditRecordView] })
  items: AuditRecordView[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}
