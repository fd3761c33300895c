import { Module, OnApplicationBootstrap, Logger } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { ThrottlerModule } from '@nestjs/throttler';
import Redis from 'ioredis';
import { REDIS } from '../common/redis.module';
import { AppConfig } from '../config/app-config';
import { NotificationsModule } from '../notifications/notifications.module';
import { RateLimitGuard, rateLimitOptions } from '../security/rate-limit';
import { AccessGuard } from './access.guard';
import { RequestAuthenticator } from './request-authenticator';
import { AccountPagesController } from './account-pages.controller';
import { AdminApiController } from './admin-api.controller';
import { AdminPagesController } from './admin-pages.controller';
import { ApiKeyService } from './api-key.service';
import { AuthApiController } from './auth-api.controller';
import { AuthAudit } from './auth-audit';
import { AuthService } from './auth.service';
import { LockoutService } from './lockout.service';
import { OneTimeTokenService } from './one-time-token.service';
import { PasswordService } from './password.service';
import { SessionCookies } from './session-cookies';
import { TokenService } from './token.service';
import { UserImportService } from './user-import.service';
import { UsersService } from './users.service';

@Module({
  imports: [
    // The authorization-matrix test walks every route through the DiscoveryService.
    DiscoveryModule,
    NotificationsModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // A KeyObject, not the string: jsonwebtoken otherwise tries (and fails) to parse the
        // string as a public key on every sign and verify, which cost 2% of the CPU under load.
        secret: createSecretKey(Buffer.from(config.JWT_SECRET)) as unknown as string,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [REDIS, AppConfig],
      useFactory: (redis: Redis, config: AppConfig) => rateLimitOptions(redis, config.QUEUE_PREFIX),
    }),
  ],
  controllers: [
    AuthApiController,
    AccountPagesController,
    AdminApiController,
    AdminPagesController,
  ],
  providers: [
    ApiKeyService,
    AuthService,
    AuthAudit,
    LockoutService,
    OneTimeTokenService,
    PasswordService,
    RequestAuthenticator,
    SessionCookies,
    TokenService,
    UsersService,
    UserImportService,
    // Order matters: identify the caller first, then count their requests.
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [
    ApiKeyService,
    AuthService,
    RequestAuthenticator,
    SessionCookies,
    TokenService,
    UsersService,
  ],
})
export class AuthModule implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly users: UsersService,
    private readonly config: AppConfig,
  ) {}

  /** The first admin from ADMIN_EMAIL/ADMIN_PASSWORD; on the zero-setup start, one demo user per role. */
  async onApplicationBootstrap(): Promise<void> {
    const admin = await this.users.ensureFirstAdmin();
    if (admin) this.logger.log(`created the first admin ${admin.email}`);
  }
}
