import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { GOAL_TYPES, GoalType } from '../goals';
import { TRAINING_STATUSES, TrainingStatus } from '../training-catalogue';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class CreateGoalDto {
  @ApiProperty({ enum: GOAL_TYPES })
  @IsIn(GOAL_TYPES as unknown as string[], {
    message: `type must be one of ${GOAL_TYPES.join(', ')}`,
  })
  type: GoalType;

  @ApiPropertyOptional({
    description:
      'On the type’s scale: rating_improvement 1–5; session_volume a count; on_time_percentage, first_session_success and student_retention fractions 0–1; engagement_score 0–100. Optional for custom.',
    nullable: true,
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'target must be a number' })
  target?: number | null;

  @ApiPropertyOptional({ maxLength: 120, description: 'Required for custom goals' })
  @IsOptional()
  @IsString({ message: 'title must be text' })
  @MaxLength(120, { message: 'title must be at most 120 characters' })
  title?: string;

  @ApiProperty({ example: '2026-12-31', description: 'Due day (after today, within 366 days)' })
  @IsString({ message: 'dueOn must be a date (YYYY-MM-DD)' })
  @Matches(DATE, { message: 'dueOn must be a date (YYYY-MM-DD)' })
  dueOn: string;
}

export class UpdateGoalDto {
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'target must be a number' })
  target?: number | null;

  @ApiPropertyOptional({ maxLength: 120 })
  @IsOptional()
  @IsString({ message: 'title must be text' })
  @MaxLength(120, { message: 'title must be at most 120 characters' })
  title?: string;

  @ApiPropertyOptional({ example: '2026-12-31' })
  @IsOptional()
  @IsString({ message: 'dueOn must be a date (YYYY-MM-DD)' })
  @Matches(DATE, { message: 'dueOn must be a date (YYYY-MM-DD)' })
  dueOn?: string;

  @ApiPropertyOptional({ description: 'Custom goals only: mark done (true) or not (false)' })
  @IsOptional()
  @IsBoolean({ message: 'completed must be true or false' })
  completed?: boolean;
}

export class TrainingProgressDto {
  @ApiProperty({ enum: TRAINING_STATUSES })
  @IsIn(TRAINING_STATUSES as unknown as string[], {
    message: `status must be one of ${TRAINING_STATUSES.join(', ')}`,
  })
  status: TrainingStatus;
}
