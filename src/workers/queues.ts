import type { JobOptions } from 'bull';

/** Every queue TutorMax uses; processors live in the module whose work they do. */
export const QUEUES = {
  events: 'events',
  evaluation: 'evaluation',
  prediction: 'prediction',
  training: 'training',
  notifications: 'notifications',
  maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** 5 attempts, exponential backoff from 5 s; completed jobs kept a day (bounded), failed ones 14 days. */
export const DEFAULT_JOB_OPTIONS: JobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
};
