import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { InterventionTransition } from './entities/intervention-transition.entity';
import { Intervention } from './entities/intervention.entity';
import { OPEN_STATUSES } from './intervention.constants';
import { InterventionsService } from './interventions.service';

/**
 * tutor.churned (from the prediction module's labels): the tutor's open interventions are
 * closed by the system with the outcome `churned`, each with a history entry. Idempotent:
 * only interventions still open change.
 */
@Injectable()
export class ChurnedTutorService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly interventions: InterventionsService,
    private readonly clock: Clock,
  ) {}

  async closeOpen(tutorId: string, reason: string | null): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const open = await m
        .getRepository(Intervention)
        .createQueryBuilder('i')
        .setLock('pessimistic_write')
        .where('i.tutor_id = :tutorId AND i.status IN (:...open)', {
          tutorId,
          open: OPEN_STATUSES,
        })
        .getMany();
      const now = this.clock.now();
      const note = `The tutor churned${reason ? ` (${reason})` : ''}: closed by the system.`;
      for (const iv of open) {
        const from = iv.status;
        iv.status = 'completed';
        iv.outcome = 'churned';
        iv.resolvedAt = now;
        await m.getRepository(InterventionTransition).insert({
          interventionId: iv.id,
          fromStatus: from,
          toStatus: 'completed',
          actorUserId: null,
          note,
          at: now,
        });
        await this.interventions.recompute(m, iv, now);
      }
      return open.length;
    });
  }
}
