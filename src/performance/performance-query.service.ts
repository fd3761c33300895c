import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DetailedHttpError } from '../common/error-body';
import { TutorPerformanceTier } from './entities/tutor-performance-tier.entity';
import { TutorMetricSnapshot } from './entities/tutor-metric-snapshot.entity';
import { MetricWindow, WINDOW_DAYS } from './performance.constants';

export interface TutorPerformance {
  tutorId: string;
  tier: TutorPerformanceTier | null;
  /** The latest snapshot of each window. */
  windows: Partial<Record<MetricWindow, TutorMetricSnapshot>>;
}

const WINDOW_OF = Object.fromEntries(
  Object.entries(WINDOW_DAYS).map(([name, days]) => [days, name as MetricWindow]),
);

/** Read-only access to metrics and tiers, for pages and for other modules. */
@Injectable()
export class PerformanceQueryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async tutorPerformance(tutorId: string): Promise<TutorPerformance> {
    const exists: unknown[] = await this.dataSource.query('SELECT 1 FROM tutors WHERE id = $1', [
      tutorId,
    ]);
    if (!exists.length) throw new DetailedHttpError(404, `no tutor with id ${tutorId}`);
    const latest = await this.dataSource
      .getRepository(TutorMetricSnapshot)
      .createQueryBuilder('s')
      .distinctOn(['s.windowDays'])
      .where('s.tutorId = :tutorId', { tutorId })
      .orderBy('s.windowDays')
      .addOrderBy('s.snapshotDate', 'DESC')
      .getMany();
    const tier = await this.dataSource.getRepository(TutorPerformanceTier).findOneBy({ tutorId });
    return {
      tutorId,
      tier,
      windows: Object.fromEntries(latest.map((s) => [WINDOW_OF[s.windowDays], s])),
    };
  }
}
