import { SkipAudit } from '../audit/audit.decorators';
import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { Public, RequirePermission } from './access.decorators';
import { AuthService } from './auth.service';
import {
  ChangePasswordDto,
  LoginDto,
  PasswordResetConfirmDto,
  PasswordResetRequestDto,
  RefreshDto,
  TokenPairDto,
} from './dto/auth.dto';
import type { AppRequest } from './principal';
import { ROLE_PERMISSIONS } from './permissions';
import { UsersService } from './users.service';
import { SignInRateLimit, ResetRateLimit } from '../security/rate-limit.decorators';

const pairBody = (t: TokenPairDto): TokenPairDto => ({
  accessToken: t.accessToken,
  refreshToken: t.refreshToken,
  expiresIn: t.expiresIn,
});

/** JSON sign-in for API clients: bearer access tokens and rotating refresh tokens. */
@ApiTags('auth')
@Controller('api/v1')
export class AuthApiController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('auth/login')
  @HttpCode(200)
  @Public()
  @SignInRateLimit()
  @ApiOkResponse({ type: TokenPairDto })
  @ApiTooManyRequestsResponse({
    type: ErrorBody,
    description: 'Locked for 15 minutes after 5 failures, or rate-limited',
  })
  @SkipAudit()
  async login(@Body() body: LoginDto, @Req() req: AppRequest): Promise<TokenPairDto> {
    const { tokens } = await this.auth.signIn(body.email, body.password, {
      ip: req.ip ?? '',
      channel: 'api',
    });
    return pairBody(tokens);
  }

  @Post('auth/refresh')
  @HttpCode(200)
  @Public()
  @ApiOkResponse({ type: TokenPairDto })
  @SkipAudit()
  async refresh(@Body() body: RefreshDto): Promise<TokenPairDto> {
    const { pair } = await this.auth.refresh(body.refreshToken, 'api');
    return pairBody(pair!);
  }

  @Post('auth/logout')
  @HttpCode(204)
  @Public()
  @SkipAudit()
  async logout(@Body() body: RefreshDto): Promise<void> {
    await this.auth.signOut(body.refreshToken);
  }

  @Post('auth/password')
  @HttpCode(204)
  @RequirePermission('self.read')
  @SkipAudit()
  async changePassword(@Body() body: ChangePasswordDto, @Req() req: AppRequest): Promise<void> {
    const principal = req.principal!;
    if (principal.kind !== 'user') return;
    await this.auth.changePassword(
      principal.id,
      body.currentPassword,
      body.newPassword,
      principal.sessionId,
    );
  }

  @Post('auth/password-reset')
  @HttpCode(202)
  @Public()
  @ResetRateLimit()
  @SkipAudit()
  async requestReset(@Body() body: PasswordResetRequestDto): Promise<{ message: string }> {
    await this.auth.requestPasswordReset(body.email);
    return { message: 'If that address has an account, a reset link is on its way.' };
  }

  @Post('auth/password-reset/confirm')
  @HttpCode(204)
  @Public()
  @SkipAudit()
  async confirmReset(@Body() body: PasswordResetConfirmDto): Promise<void> {
    await this.auth.completeWithToken(body.token, 'password_reset', body.password);
  }

  @Get('me')
  @RequirePermission('self.read')
  async me(@Req() req: AppRequest) {
    const principal = req.principal!;
    if (principal.kind !== 'user') return { kind: principal.kind, id: principal.id };
    const user = await this.users.get(principal.id);
    return {
      id: user.id,
      email: user.email,
      fullName: user.fullName,
      roles: user.roles,
      permissions: [...new Set(user.roles.flatMap((r) => ROLE_PERMISSIONS[r]))],
      tutorId: user.tutorId,
      studentId: user.studentId,
    };
  }
}
