import { INestApplication, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { FieldCipher } from '../../security/field-cipher';
import type { SyntheticOptions } from './synthetic-generator';
import { SYNTHETIC_PARAMETERS } from './synthetic-parameters';
import { assertSimulationAllowed, SyntheticDataService } from './synthetic-data.service';

export interface DemoDataOptions extends Partial<SyntheticOptions> {
  /** Default true (a bar on a terminal, a line every few seconds otherwise). */
  progress?: boolean;
}

/**
 * The first start on an empty embedded database loads a demo data set: the
 * synthetic generator with its defaults (250 tutors, 90 days, seed 42, ending
 * today). Does nothing once any tutor exists, so later starts keep their data.
 * Refused in production. `options` exists for tests (a smaller set, no bar).
 */
export async function loadDemoDataIfEmpty(
  app: INestApplication,
  options: DemoDataOptions = {},
): Promise<void> {
  const config = app.get(AppConfig);
  assertSimulationAllowed(config.NODE_ENV);
  const dataSource = app.get(DataSource);
  const [{ present }]: { present: boolean }[] = await dataSource.query(
    'SELECT EXISTS (SELECT 1 FROM tutors) AS present',
  );
  if (present) return;

  const logger = new Logger('DemoData');
  const { defaults } = SYNTHETIC_PARAMETERS;
  const tutors = options.tutors ?? defaults.tutors;
  const days = options.days ?? defaults.days;
  logger.log(`empty database: loading demo data (${tutors} tutors, ${days} days)…`);
  const summary = await new SyntheticDataService(dataSource, app.get(FieldCipher)).load({
    ...options,
    nodeEnv: config.NODE_ENV,
    progress: options.progress ?? true,
    title: 'demo data',
  });
  const n = summary.inserted;
  logger.log(
    `demo data loaded in ${summary.seconds.toFixed(1)} s: ${n.tutors} tutors, ${n.students} students, ` +
      `${n.sessions} sessions, ${n.feedback} feedback, ${n.tutorEvents} tutor events`,
  );
}
