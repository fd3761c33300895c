import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audit.decorators';
import { RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { DetailedHttpError } from '../common/error-body';
import { PageQuery } from '../common/pagination';
import { ManagerNoteDto } from './dto/intervention.dto';
import { actorOf } from './interventions.service';
import { TutorManagerNotes } from './tutor-manager-notes.service';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => new DetailedHttpError(400, 'id must be a UUID'),
});

/** Managers' notes about a tutor (staff only; tutors never see them). */
@ApiTags('interventions')
@Controller('api/v1/tutors/:id/manager-notes')
export class TutorManagerNotesController {
  constructor(private readonly notes: TutorManagerNotes) {}

  @Get()
  @RequirePermission('tutors.read_risk')
  @ApiOperation({ summary: 'Notes about the tutor, newest first' })
  list(@Param('id', uuid) id: string, @Query() q: PageQuery) {
    return this.notes.list(id, q);
  }

  @Post()
  @RequirePermission('interventions.work')
  @Audited({ resource: 'tutor', action: 'tutor.manager_note_added' })
  @ApiOperation({ summary: 'Add a note about the tutor' })
  add(@Param('id', uuid) id: string, @Body() body: ManagerNoteDto, @Req() req: AppRequest) {
    return this.notes.add(id, body.body, actorOf(req.principal).userId);
  }
}
