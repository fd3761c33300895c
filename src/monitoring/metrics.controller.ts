import { Controller, Get, Headers, HttpException, NotFoundException, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/access.decorators';
import { AppConfig } from '../config/app-config';
import { MonitoringMetrics } from './metrics.service';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison of a presented bearer token with the configured one. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  // Hash both sides: equal lengths for timingSafeEqual, and no early exit on length.
  return timingSafeEqual(digest(match?.[1]?.trim() ?? ''), digest(token)) && Boolean(match);
}

/**
 * GET /metrics for Prometheus. Outside the role system (`@Public()`): a
 * scraper is no user, so it presents METRICS_TOKEN as a bearer token. Without
 * METRICS_TOKEN the route is open in development and 404 elsewhere
 * (production refuses to boot without one).
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly config: AppConfig,
    private readonly metrics: MonitoringMetrics,
  ) {}

  @Get()
  @Public()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const token = this.config.METRICS_TOKEN;
    if (!token && this.config.NODE_ENV !== 'development') throw new NotFoundException();
    if (token && !bearerMatches(authorization, token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new HttpException('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>', 401);
    }
    res.setHeader('Cache-Control', 'no-store');
    res.type(this.metrics.registry.contentType).send(await this.metrics.text());
  }
}
