import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { runMigrationsLocked } from './migrate';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const options = dataSourceOptions(config.DATABASE_URL!);
        return {
          ...options,
          extra: { ...options.extra, tutormaxRunMigrations: config.MIGRATIONS_RUN },
        };
      },
      // Migrations run before any module can touch the schema.
      dataSourceFactory: async (options?: DataSourceOptions) => {
        const dataSource = await new DataSource(options!).initialize();
        const config = (
          options as DataSourceOptions & { extra: { tutormaxRunMigrations?: boolean } }
        ).extra;
        if (config.tutormaxRunMigrations !== false) {
          const applied = await runMigrationsLocked(dataSource);
          if (applied.length)
            new Logger('Database').log(`applied migrations: ${applied.join(', ')}`);
        }
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
