import 'reflect-metadata';
import 'dotenv/config';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { UsersService } from './auth/users.service';
import { InterventionRuleRunner } from './interventions/intervention-rule-runner.service';
import { NightlyEvaluationService } from './performance/nightly-evaluation.service';
import { BootError, checkPostgres, checkRedis } from './boot-checks';
import { ConfigError, loadConfig } from './config/app-config';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { loadDemoDataIfEmpty } from './tutoring/synthetic/demo-data';

async function bootstrap(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = new Logger('TutorMax');
  await checkRedis(config.REDIS_URL);

  if (!config.DATABASE_URL) {
    // The embedded-postgres package stops its server when this process exits.
    logger.log(`no DATABASE_URL: starting the embedded PostgreSQL (data in ${config.DATA_DIR}/pg)`);
    const embedded = await startEmbeddedPostgres(config.DATA_DIR, config.EMBEDDED_PG_PORT);
    config.DATABASE_URL = embedded.url;
    config.embeddedDatabase = true;
  } else {
    await checkPostgres(config.DATABASE_URL);
  }

  const app = await createApp(config);
  if (config.runsWeb) {
    await app.listen(config.PORT);
  } else {
    await app.init();
  }
  if (config.embeddedDatabase && !config.isProduction && config.DEMO_DATA) {
    await loadDemoDataIfEmpty(app);
    const demo = await app.get(UsersService).createDemoUsers();
    if (demo) {
      // First start: evaluate the demo tutors and run the intervention rules once, so the
      // dashboard and the queue have something to show before the first nightly run.
      const evaluation = await app.get(NightlyEvaluationService).run();
      const rules = await app.get(InterventionRuleRunner).runNightly();
      logger.log(
        `demo evaluation: ${evaluation.rated} tutors placed in tiers; ${rules.created} interventions opened`,
      );
      // Printed once, to the console of the person who started the app; never shown on a page.
      console.log(
        [
          '',
          'Demo users (one per role), all with the one-time password below:',
          ...demo.emails.map((email) => `  ${email}`),
          `  password: ${demo.password}`,
          'Change it after signing in (Password in the menu). It is not shown again.',
          '',
        ].join('\n'),
      );
    }
  }
  if (config.runsWeb) {
    const url = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
    logger.log(`TutorMax is running at ${url} (role ${config.ROLE}); API docs at ${url}/api/docs`);
  } else {
    logger.log('TutorMax worker is running');
  }
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof BootError) {
    console.error(`TutorMax cannot start: ${error.message}`);
  } else {
    console.error('TutorMax cannot start:', error);
  }
  process.exit(1);
});
