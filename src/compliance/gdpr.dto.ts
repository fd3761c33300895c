import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
} from 'class-validator';
import { PageQuery } from '../common/pagination';
import { CONSENT_PURPOSES, ConsentPurpose } from './entities/privacy-consent.entity';
import {
  GDPR_REQUEST_KINDS,
  GDPR_REQUEST_STATUSES,
  GdprRequestKind,
} from './entities/gdpr-request.entity';

export class CreatePrivacyRequestBody {
  @ApiProperty({ enum: GDPR_REQUEST_KINDS })
  @IsIn(GDPR_REQUEST_KINDS, { message: `kind must be one of ${GDPR_REQUEST_KINDS.join(', ')}` })
  kind: GdprRequestKind;

  @ApiPropertyOptional({ enum: ['profiling', 'processing'], description: 'objection only' })
  @IsOptional()
  @IsIn(['profiling', 'processing'], { message: 'scope must be profiling or processing' })
  scope?: string;

  @ApiPropertyOptional({
    description: 'rectification only: { field: new value } (whitelisted fields)',
  })
  @IsOptional()
  @IsObject({ message: 'changes must be an object of field: new value' })
  changes?: Record<string, string>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string;
}

export class StaffCreateRequestBody extends CreatePrivacyRequestBody {
  @ApiProperty({ description: 'users.id of the data subject' })
  @IsUUID('all', { message: 'subjectUserId must be a user id (UUID)' })
  subjectUserId: string;
}

export class ReasonBody {
  @ApiProperty()
  @IsString({ message: 'reason must be text' })
  @MinLength(3, { message: 'reason must say why (3 characters or more)' })
  @MaxLength(500)
  reason: string;
}

export class ConsentBody {
  @ApiProperty({ enum: CONSENT_PURPOSES })
  @IsIn(CONSENT_PURPOSES, { message: `purpose must be one of ${CONSENT_PURPOSES.join(', ')}` })
  purpose: ConsentPurpose;

  @ApiProperty()
  @IsBoolean({ message: 'granted must be true or false' })
  granted: boolean;
}

export class LegalHoldBody {
  @ApiProperty()
  @IsUUID('all', { message: 'subjectUserId must be a user id (UUID)' })
  subjectUserId: string;

  @ApiProperty()
  @IsString()
  @MinLength(3, { message: 'reason must say why (3 characters or more)' })
  @MaxLength(500)
  reason: string;
}

export class RequestListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: GDPR_REQUEST_STATUSES })
  @IsOptional()
  @IsIn(GDPR_REQUEST_STATUSES, {
    message: `status must be one of ${GDPR_REQUEST_STATUSES.join(', ')}`,
  })
  status?: string;
}
