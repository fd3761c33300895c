import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audit.decorators';
import { RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { DetailedHttpError, ErrorBody } from '../common/error-body';
import { PageQuery } from '../common/pagination';
import { CreateGoalDto, TrainingProgressDto, UpdateGoalDto } from './dto/self-service.dto';
import { ACKNOWLEDGEABLE, AcknowledgeableKind } from './entities/tutor-acknowledgement.entity';
import { StudentSelfService } from './student-self-service.service';
import { TutorSelfService } from './tutor-self-service.service';

/**
 * The JSON behind the self-service pages: always the caller's own linked
 * tutor or student record (404 when the account has none). Nothing here
 * carries a churn score, risk band, intervention reason, evidence or notes,
 * another tutor's data or a student's identity.
 */
@ApiTags('self-service')
@ApiNotFoundResponse({ type: ErrorBody, description: 'The account is not linked to a record' })
@Controller('api/v1/me')
export class SelfServiceApiController {
  constructor(
    private readonly tutors: TutorSelfService,
    private readonly students: StudentSelfService,
  ) {}

  @Get('tutor/overview')
  @RequirePermission('self_service.tutor')
  @ApiOperation({
    summary: 'My tier (and since when), 7/30/90-day metrics with thresholds and trend charts',
  })
  overview(@Req() req: AppRequest) {
    return this.tutors.overview(this.tutors.tutorIdOf(req.principal));
  }

  @Get('tutor/peers')
  @RequirePermission('self_service.tutor')
  @ApiOperation({ summary: 'My percentiles in my onboarding cohort (only with 10+ tutors)' })
  peers(@Req() req: AppRequest) {
    return this.tutors.peers(this.tutors.tutorIdOf(req.principal));
  }

  @Get('tutor/feedback')
  @RequirePermission('self_service.tutor')
  @ApiOperation({ summary: 'Feedback on my sessions, anonymised (newest first)' })
  feedback(@Req() req: AppRequest, @Query() q: PageQuery) {
    return this.tutors.feedback(this.tutors.tutorIdOf(req.principal), q.limit, q.cursor);
  }

  @Get('tutor/first-sessions')
  @RequirePermission('self_service.tutor')
  @ApiOperation({ summary: 'My recent first sessions and how they went' })
  firstSessions(@Req() req: AppRequest) {
    return this.tutors.firstSessions(this.tutors.tutorIdOf(req.principal));
  }

  @Get('tutor/badges')
  @RequirePermission('self_service.tutor')
  @ApiOperation({ summary: 'Every badge, earned or not, with its criterion' })
  async badges(@Req() req: AppRequest) {
    return { items: await this.tutors.badges(this.tutors.tutorIdOf(req.principal)) };
  }

  @Get('tutor/training')
  @RequirePermission('self_service.tutor')
  @ApiOperation({ summary: 'Training modules, recommended ones first, with my progress' })
  async training(@Req() req: AppRequest) {
    return { items: await this.tutors.training(this.tutors.tutorIdOf(req.principal)) };
  }

  @Put('tutor/training/:moduleId')
  @RequirePermission('self_service.tutor')
  @Audited({ resource: 'tutor_training', idParam: 'moduleId' })
  @ApiOperation({ summary: 'Set my progress on a module (not_started, in_progress, completed)' })
  setTraining(
    @Req() req: AppRequest,
    @Param('moduleId') moduleId: string,
    @Body() body: TrainingProgressDto,
  ) {
    return this.tutors.setTraining(this.tutors.tutorIdOf(req.principal), moduleId, body.status);
  }

  @Get('tutor/goals')
  @RequirePermission('self_service.tutor')
  @ApiOperation({ summary: 'My goals with progress computed from my metrics' })
  async goals(@Req() req: AppRequest) {
    return {
      items: await this.tutors.goals(this.tutors.tutorIdOf(req.principal)),
      nextCursor: null,
    };
  }

  @Get('tutor/goals/:id')
  @RequirePermission('self_service.tutor')
  goal(@Req() req: AppRequest, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.tutors.goal(this.tutors.tutorIdOf(req.principal), id);
  }

  @Post('tutor/goals')
  @RequirePermission('self_service.tutor')
  @Audited({ resource: 'tutor_goal' })
  @ApiOperation({ summary: 'Set a goal' })
  createGoal(@Req() req: AppRequest, @Body() body: CreateGoalDto) {
    return this.tutors.createGoal(this.tutors.tutorIdOf(req.principal), body);
  }

  @Patch('tutor/goals/:id')
  @RequirePermission('self_service.tutor')
  @Audited({ resource: 'tutor_goal' })
  updateGoal(
    @Req() req: AppRequest,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateGoalDto,
  ) {
    return this.tutors.updateGoal(this.tutors.tutorIdOf(req.principal), id, body);
  }

  @Delete('tutor/goals/:id')
  @HttpCode(204)
  @RequirePermission('self_service.tutor')
  @Audited({ resource: 'tutor_goal' })
  async deleteGoal(@Req() req: AppRequest, @Param('id', new ParseUUIDPipe()) id: string) {
    await this.tutors.deleteGoal(this.tutors.tutorIdOf(req.principal), id);
  }

  @Get('tutor/inbox')
  @RequirePermission('self_service.tutor')
  @ApiOperation({
    summary: 'Coaching emails sent to me and coaching or mentoring scheduled for me',
  })
  inbox(@Req() req: AppRequest) {
    return this.tutors.inbox(this.tutors.tutorIdOf(req.principal));
  }

  @Post('tutor/inbox/:kind/:id/acknowledge')
  @HttpCode(200)
  @RequirePermission('self_service.tutor')
  @Audited({ resource: 'tutor_acknowledgement' })
  @ApiOperation({
    summary: 'Say I have seen a message (kind message) or scheduled support (kind support)',
  })
  acknowledge(
    @Req() req: AppRequest,
    @Param('kind') kind: string,
    @Param('id', new ParseUUIDPipe()) id: string,
  ) {
    if (!ACKNOWLEDGEABLE.includes(kind as AcknowledgeableKind))
      throw new DetailedHttpError(404, `kind must be one of ${ACKNOWLEDGEABLE.join(', ')}`);
    const tutorId = this.tutors.tutorIdOf(req.principal);
    return this.tutors.acknowledge(tutorId, req.principal!.id, kind as AcknowledgeableKind, id);
  }

  @Get('student')
  @RequirePermission('self_service.student')
  @ApiOperation({ summary: 'My student profile summary and privacy links' })
  student(@Req() req: AppRequest) {
    return this.students.profile(this.students.studentIdOf(req.principal));
  }

  @Get('student/sessions')
  @RequirePermission('self_service.student')
  @ApiOperation({ summary: 'My sessions (newest first)' })
  studentSessions(@Req() req: AppRequest, @Query() q: PageQuery) {
    return this.students.sessions(this.students.studentIdOf(req.principal), q.limit, q.cursor);
  }

  @Get('student/feedback')
  @RequirePermission('self_service.student')
  @ApiOperation({ summary: 'The feedback I gave (newest first)' })
  studentFeedback(@Req() req: AppRequest, @Query() q: PageQuery) {
    return this.students.feedback(this.students.studentIdOf(req.principal), q.limit, q.cursor);
  }
}
