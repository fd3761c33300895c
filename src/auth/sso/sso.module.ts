import { Module } from '@nestjs/common';
import { AuthModule } from '../auth.module';
import { SsoAccountsService } from './sso-accounts.service';
import { SsoController } from './sso.controller';
import { SsoService } from './sso.service';

/**
 * Google and Microsoft sign-in (see SsoService and SsoAccountsService). Built
 * on AuthModule's sessions and cookies; Redis, config, pages and the audit log
 * come from global modules.
 */
@Module({
  imports: [AuthModule],
  controllers: [SsoController],
  providers: [SsoService, SsoAccountsService],
})
export class SsoModule {}
