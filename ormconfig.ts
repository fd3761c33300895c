import 'reflect-metadata';
import 'dotenv/config';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/database/data-source-options';

/**
 * The DataSource the TypeORM CLI uses (npm run migration:generate|run|revert).
 * The app builds its own from the same options (src/database/).
 */
const url = process.env.DATABASE_URL;
if (!url) {
  throw new Error(
    'DATABASE_URL is not set: the migration CLI needs a PostgreSQL URL (see .env.example)',
  );
}

export default new DataSource(dataSourceOptions(url));
