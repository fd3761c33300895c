import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import {
  BREACH_DATA_CATEGORIES,
  BREACH_SEVERITIES,
  BREACH_STATUSES,
  BREACH_SUBJECT_KINDS,
  BreachDataCategory,
  BreachSeverity,
  BreachStatus,
  BreachSubjectKind,
} from './entities/breach-incident.entity';

const list = (values: readonly string[]) => values.join(', ');
const ISO = { strict: true, strictSeparator: true };
const MAX_COUNT = 1_000_000_000;

/*
 * Each field's rules, once; CreateBreachBody requires the first six,
 * UpdateBreachBody makes every one optional (null clears a notification time).
 */
const title = () =>
  applyDecorators(
    IsString({ message: 'title must be text' }),
    Length(3, 200, { message: 'title must be 3-200 characters' }),
  );
const description = () =>
  applyDecorators(
    IsString({ message: 'description must be text' }),
    Length(1, 5000, { message: 'description must be 1-5000 characters' }),
  );
const dateTime = (field: string) =>
  IsISO8601(ISO, { message: `${field} must be an ISO 8601 date-time with a time zone` });
const count = (field: string) =>
  applyDecorators(
    IsInt({ message: `${field} must be a whole number` }),
    Min(0, { message: `${field} must not be negative` }),
    Max(MAX_COUNT, { message: `${field} must be at most ${MAX_COUNT}` }),
  );
const categories = () =>
  applyDecorators(
    IsArray({ message: 'affectedCategories must be a list' }),
    ArrayMinSize(1, { message: 'affectedCategories must name at least one category' }),
    ArrayMaxSize(BREACH_DATA_CATEGORIES.length),
    ArrayUnique({ message: 'affectedCategories must not repeat a category' }),
    IsIn(BREACH_DATA_CATEGORIES, {
      each: true,
      message: `each of affectedCategories must be one of ${list(BREACH_DATA_CATEGORIES)}`,
    }),
  );
const subjectKinds = () =>
  applyDecorators(
    IsArray({ message: 'affectedSubjectKinds must be a list' }),
    ArrayUnique({ message: 'affectedSubjectKinds must not repeat a kind' }),
    IsIn(BREACH_SUBJECT_KINDS, {
      each: true,
      message: `each of affectedSubjectKinds must be one of ${list(BREACH_SUBJECT_KINDS)}`,
    }),
  );
const severity = () =>
  IsIn(BREACH_SEVERITIES, { message: `severity must be one of ${list(BREACH_SEVERITIES)}` });
const status = () =>
  IsIn(BREACH_STATUSES, { message: `status must be one of ${list(BREACH_STATUSES)}` });
const actions = () =>
  applyDecorators(
    IsString({ message: 'actionsTaken must be text' }),
    MaxLength(5000, { message: 'actionsTaken must be at most 5000 characters' }),
  );

/** A new incident: title, description, discovery time, records, categories and severity. */
export class CreateBreachBody {
  @ApiProperty({ maxLength: 200 })
  @title()
  title: string;

  @ApiProperty({ maxLength: 5000 })
  @description()
  description: string;

  @ApiProperty({ description: 'When the breach was discovered (ISO 8601 with zone)' })
  @dateTime('discoveredAt')
  discoveredAt: string;

  @ApiProperty({ minimum: 0 })
  @count('affectedRecordCount')
  affectedRecordCount: number;

  @ApiProperty({ enum: BREACH_DATA_CATEGORIES, isArray: true })
  @categories()
  affectedCategories: BreachDataCategory[];

  @ApiProperty({ enum: BREACH_SEVERITIES })
  @severity()
  severity: BreachSeverity;

  @ApiPropertyOptional({ minimum: 0, nullable: true, description: 'How many people, if known' })
  @IsOptional()
  @count('affectedSubjectCount')
  affectedSubjectCount?: number | null;

  @ApiPropertyOptional({ enum: BREACH_SUBJECT_KINDS, isArray: true })
  @IsOptional()
  @subjectKinds()
  affectedSubjectKinds?: BreachSubjectKind[];

  @ApiPropertyOptional({ enum: BREACH_STATUSES, default: 'open' })
  @IsOptional()
  @status()
  status?: BreachStatus;

  @ApiPropertyOptional({ nullable: true, description: 'When the supervisory authority was told' })
  @IsOptional()
  @dateTime('authorityNotifiedAt')
  authorityNotifiedAt?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'When the people affected were told' })
  @IsOptional()
  @dateTime('subjectsNotifiedAt')
  subjectsNotifiedAt?: string | null;

  @ApiPropertyOptional({ maxLength: 5000, nullable: true })
  @IsOptional()
  @actions()
  actionsTaken?: string | null;
}

/** Any of the fields, with the same rules; null clears an optional one. */
export class UpdateBreachBody extends PartialType(CreateBreachBody) {}

export type BreachInput = UpdateBreachBody;
