import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  MaxLength,
} from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { PlainText } from '../../security/plain-text';
import { ROLES } from '../entities/user.entity';
import type { Role } from '../entities/user.entity';
import { API_KEY_PERMISSIONS } from '../permissions';
import type { Permission } from '../permissions';

export class UserListQueryDto extends PageQuery {
  /** Matches email or name. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;
}

export class InviteUserDto {
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email: string;

  @IsString()
  @Length(1, 200)
  @PlainText()
  fullName: string;

  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(5)
  @IsIn(ROLES, { each: true, message: `each role must be one of ${ROLES.join(', ')}` })
  roles: Role[];
}

export class UpdateUserDto {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @PlainText()
  fullName?: string;

  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(5)
  @IsIn(ROLES, { each: true, message: `each role must be one of ${ROLES.join(', ')}` })
  roles?: Role[];
}

export const BULK_ACTIONS = ['add_role', 'remove_role', 'deactivate'] as const;

export class BulkUsersDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'each userId must be a user id (UUID)' })
  userIds: string[];

  @IsIn(BULK_ACTIONS)
  action: (typeof BULK_ACTIONS)[number];

  /** For add_role and remove_role. */
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

export class ImportUsersDto {
  /** CSV with a header row: email, full_name, roles (roles separated by ; or |). */
  @IsString()
  @MaxLength(5_000_000)
  csv: string;

  @IsOptional()
  @Type(() => Boolean)
  @IsBoolean()
  dryRun?: boolean;
}

export class CreateApiKeyDto {
  @IsString()
  @Length(1, 100)
  name: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(API_KEY_PERMISSIONS as Permission[], {
    each: true,
    message: `each permission must be one of ${API_KEY_PERMISSIONS.join(', ')}`,
  })
  permissions: Permission[];
}
