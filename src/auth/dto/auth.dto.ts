import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email: string;

  @IsString()
  @MinLength(1, { message: 'password is required' })
  @MaxLength(256)
  password: string;
}

export class RefreshDto {
  @IsString()
  @MinLength(20)
  @MaxLength(200)
  refreshToken: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'JWT for Authorization: Bearer, valid expiresIn seconds' })
  accessToken: string;

  @ApiProperty({ description: 'Single-use; exchange it at /api/v1/auth/refresh for a new pair' })
  refreshToken: string;

  @ApiProperty({ example: 900 })
  expiresIn: number;
}

export class ChangePasswordDto {
  @IsString()
  @MaxLength(256)
  currentPassword: string;

  @IsString()
  @MaxLength(256)
  newPassword: string;
}

export class PasswordResetRequestDto {
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email: string;
}

export class PasswordResetConfirmDto {
  @IsString()
  @MaxLength(200)
  token: string;

  @IsString()
  @MaxLength(256)
  password: string;
}

/** Browser form bodies carry the CSRF token too. */
export class LoginFormDto {
  @IsString()
  @MaxLength(320)
  email: string;

  @IsString()
  @MaxLength(256)
  password: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  next?: string;

  @IsOptional()
  @IsString()
  _csrf?: string;
}
