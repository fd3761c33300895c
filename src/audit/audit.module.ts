import { Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditFallbackMiddleware } from './audit-fallback.middleware';
import { AuditController } from './audit.controller';
import { AuditPagesController } from './audit-pages.controller';
import { AuditInterceptor } from './audit.interceptor';
import { AuditQueryService } from './audit-query.service';
import { AuditService } from './audit.service';

/**
 * The append-only audit log. Global because every module records into it
 * (AuditService.record); the interceptor and the fallback middleware cover
 * every HTTP request on their own.
 */
@Global()
@Module({
  controllers: [AuditController, AuditPagesController],
  providers: [
    AuditService,
    AuditQueryService,
    AuditFallbackMiddleware,
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [AuditService, AuditQueryService],
})
export class AuditModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(AuditFallbackMiddleware)
      .forRoutes(
        { path: '{*path}', method: RequestMethod.POST },
        { path: '{*path}', method: RequestMethod.PUT },
        { path: '{*path}', method: RequestMethod.PATCH },
        { path: '{*path}', method: RequestMethod.DELETE },
      );
  }
}
