import { INestApplication } from '@nestjs/common';

/** Placeholder until the generator lands (replaced in the same change). */
export async function loadDemoDataIfEmpty(_app: INestApplication): Promise<void> {}
