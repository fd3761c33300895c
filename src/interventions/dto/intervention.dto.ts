import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDate,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { PageQuery } from '../../common/pagination';
import {
  INTERVENTION_TYPES,
  InterventionOutcome,
  InterventionStatus,
  InterventionType,
  OUTCOMES,
  Priority,
  PRIORITIES,
  STATUSES,
} from '../intervention.constants';

const list = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : value;

export class InterventionListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Comma-separated statuses', example: 'open,assigned' })
  @IsOptional()
  @Transform(list)
  @IsIn(STATUSES, { each: true, message: `status must be among ${STATUSES.join(', ')}` })
  status?: InterventionStatus[];

  @ApiPropertyOptional({ description: 'Comma-separated types' })
  @IsOptional()
  @Transform(list)
  @IsIn(INTERVENTION_TYPES, {
    each: true,
    message: `type must be among ${INTERVENTION_TYPES.join(', ')}`,
  })
  type?: InterventionType[];

  @ApiPropertyOptional({ description: 'Comma-separated priorities' })
  @IsOptional()
  @Transform(list)
  @IsIn(PRIORITIES, { each: true, message: `priority must be among ${PRIORITIES.join(', ')}` })
  priority?: Priority[];

  @ApiPropertyOptional({ description: '`me`, `unassigned` or a user id' })
  @IsOptional()
  @Matches(/^(me|unassigned|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, {
    message: 'assignee must be me, unassigned or a user id',
  })
  assignee?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  tutorId?: string;

  @ApiPropertyOptional({ enum: ['on_track', 'at_risk', 'breached', 'paused', 'met', 'missed'] })
  @IsOptional()
  @IsIn(['on_track', 'at_risk', 'breached', 'paused', 'met', 'missed'], {
    message: 'slaState must be one of on_track, at_risk, breached, paused, met, missed',
  })
  slaState?: string;

  @ApiPropertyOptional({ description: 'Next deadline before this time (ISO 8601)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'dueBefore must be an ISO 8601 date-time' })
  dueBefore?: Date;

  @ApiPropertyOptional({ enum: ['due', 'created', 'priority'], default: 'due' })
  @IsOptional()
  @IsIn(['due', 'created', 'priority'], { message: 'sort must be one of due, created, priority' })
  sort?: 'due' | 'created' | 'priority';
}

export class CreateInterventionDto {
  @ApiProperty()
  @IsUUID()
  tutorId: string;

  @ApiProperty({ enum: INTERVENTION_TYPES })
  @IsIn(INTERVENTION_TYPES, { message: `type must be one of ${INTERVENTION_TYPES.join(', ')}` })
  type: InterventionType;

  @ApiProperty({ enum: PRIORITIES })
  @IsIn(PRIORITIES, { message: `priority must be one of ${PRIORITIES.join(', ')}` })
  priority: Priority;

  @ApiProperty({ maxLength: 2000 })
  @IsString()
  @MinLength(3)
  @MaxLength(2000)
  reason: string;
}

export class AssignDto {
  @ApiProperty({ description: 'An active user with the people_ops or operations_manager role' })
  @IsUUID()
  assigneeId: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;
}

export class BulkAssignDto {
  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true })
  ids: string[];

  @ApiProperty()
  @IsUUID()
  assigneeId: string;
}

export class TransitionDto {
  @ApiProperty({ enum: STATUSES })
  @IsIn(STATUSES, { message: `to must be one of ${STATUSES.join(', ')}` })
  to: InterventionStatus;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;

  @ApiPropertyOptional({ enum: OUTCOMES, description: 'Required when to = completed' })
  @IsOptional()
  @IsIn(OUTCOMES, { message: `outcome must be one of ${OUTCOMES.join(', ')}` })
  outcome?: InterventionOutcome;

  @ApiPropertyOptional({ maxLength: 2000, description: 'Required when to = cancelled' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class NoteDto {
  @ApiProperty({ maxLength: 5000 })
  @IsString()
  @MinLength(1)
  @MaxLength(5000)
  body: string;
}

export class ConfigDocumentDto {
  @ApiProperty({ type: Object, description: 'The whole document; validated on save' })
  @IsObject()
  document: Record<string, unknown>;
}

export class PriorityDto {
  @ApiProperty({ enum: PRIORITIES })
  @IsIn(PRIORITIES, { message: `priority must be one of ${PRIORITIES.join(', ')}` })
  priority: Priority;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;
}

export class ManagerNoteDto {
  @ApiProperty({ maxLength: 5000 })
  @IsString()
  @MinLength(1)
  @MaxLength(5000)
  body: string;
}
