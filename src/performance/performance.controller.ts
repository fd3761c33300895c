import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/access.decorators';
import { ErrorBody } from '../common/error-body';
import { PerformanceQueryService, TutorPerformance } from './performance-query.service';

@ApiTags('performance')
@Controller('api/v1/tutors')
export class PerformanceController {
  constructor(private readonly performance: PerformanceQueryService) {}

  @Get(':id/performance')
  @RequirePermission('tutoring.read')
  @ApiOperation({
    summary: "A tutor's tier (with the day it began) and latest 7/30/90-day metrics",
  })
  @ApiOkResponse({ description: 'Rates are fractions 0–1, scores 0–100' })
  @ApiNotFoundResponse({ type: ErrorBody })
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<TutorPerformance> {
    return this.performance.tutorPerformance(id);
  }
}
