import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { validateSync } from 'class-validator';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { FieldError } from '../../common/error-body';
import { flattenValidationErrors } from '../../common/validation';
import { applyPlainText } from '../../security/plain-text';

export type ItemStatus = 'created' | 'updated' | 'unchanged' | 'rejected';

export class ItemResult {
  @ApiProperty({ description: 'Position of the item in `items`' })
  index: number;

  @ApiPropertyOptional()
  externalId?: string;

  @ApiProperty({ enum: ['created', 'updated', 'unchanged', 'rejected'] })
  status: ItemStatus;

  @ApiPropertyOptional({ description: 'TutorMax id of the stored record' })
  id?: string;

  @ApiPropertyOptional({ description: 'Why the item was rejected, one entry per field' })
  errors?: FieldError[];
}

export class BatchSummary {
  @ApiProperty() created: number;
  @ApiProperty() updated: number;
  @ApiProperty() unchanged: number;
  @ApiProperty() rejected: number;
}

export class BatchResult {
  @ApiProperty({ type: BatchSummary })
  summary: BatchSummary;

  @ApiProperty({ type: ItemResult, isArray: true })
  results: ItemResult[];
}

export interface Accepted<T> {
  index: number;
  item: T;
}

/** Tracks the outcome of every item of one request. */
export class BatchOutcome<T extends { externalId: string }> {
  private readonly results: ItemResult[] = [];
  accepted: Accepted<T>[] = [];

  reject(index: number, externalId: unknown, errors: FieldError[]): void {
    this.results.push({
      index,
      ...(typeof externalId === 'string' ? { externalId } : {}),
      status: 'rejected',
      errors,
    });
  }

  /** Moves accepted items failing `check` to the rejected list. */
  filter(check: (item: T, index: number) => FieldError[] | undefined): void {
    const kept: Accepted<T>[] = [];
    for (const entry of this.accepted) {
      const errors = check(entry.item, entry.index);
      if (errors?.length) this.reject(entry.index, entry.item.externalId, errors);
      else kept.push(entry);
    }
    this.accepted = kept;
  }

  /** A later item repeating an earlier externalId is rejected. */
  rejectDuplicates(): void {
    const seen = new Map<string, number>();
    this.filter((item, index) => {
      const first = seen.get(item.externalId);
      if (first !== undefined) {
        return [
          { field: 'externalId', message: `externalId repeats item ${first} of this request` },
        ];
      }
      seen.set(item.externalId, index);
      return undefined;
    });
  }

  finish(
    stored: Map<string, { id: string; status: Exclude<ItemStatus, 'rejected'> }>,
  ): BatchResult {
    for (const { index, item } of this.accepted) {
      const outcome = stored.get(item.externalId);
      if (!outcome) throw new Error(`no stored outcome for ${item.externalId}`);
      this.results.push({
        index,
        externalId: item.externalId,
        status: outcome.status,
        id: outcome.id,
      });
    }
    this.results.sort((a, b) => a.index - b.index);
    const summary: BatchSummary = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
    for (const r of this.results) summary[r.status] += 1;
    return { summary, results: this.results };
  }
}

const CHUNK = 250;

/**
 * Validates every item against its DTO class, in chunks that yield to the
 * event loop so a 5,000-item batch never blocks other requests for long.
 */
export async function validateItems<T extends { externalId: string }>(
  cls: new () => T,
  items: unknown[],
): Promise<BatchOutcome<T>> {
  const outcome = new BatchOutcome<T>();
  for (let start = 0; start < items.length; start += CHUNK) {
    if (start > 0) await yieldToEventLoop();
    const end = Math.min(items.length, start + CHUNK);
    for (let index = start; index < end; index++) {
      const raw = items[index];
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        outcome.reject(index, undefined, [
          { field: '', message: 'each item must be a JSON object' },
        ]);
        continue;
      }
      if (Object.prototype.hasOwnProperty.call(raw, '__proto__')) {
        outcome.reject(index, undefined, [
          { field: '__proto__', message: '__proto__ is not a known field' },
        ]);
        continue;
      }
      // The item DTOs need no type conversion, so a prototype swap stands in for
      // class-transformer's plainToInstance at a fraction of the cost.
      const item = Object.assign(Object.create(cls.prototype) as T, raw);
      const errors = validateSync(item, { whitelist: true, forbidNonWhitelisted: true });
      if (errors.length) {
        outcome.reject(
          index,
          (raw as { externalId?: unknown }).externalId,
          flattenValidationErrors(errors),
        );
      } else {
        outcome.accepted.push({ index, item: applyPlainText(item) });
      }
    }
  }
  outcome.rejectDuplicates();
  return outcome;
}

/**
 * Maps items in chunks that yield to the event loop, for per-item work that
 * costs microseconds (encrypting personal data): 5,000 items never block
 * other requests for long.
 */
export async function mapInChunks<T, R>(items: T[], map: (item: T) => R): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  for (let start = 0; start < items.length; start += CHUNK) {
    if (start > 0) await yieldToEventLoop();
    const end = Math.min(items.length, start + CHUNK);
    for (let i = start; i < end; i++) out[i] = map(items[i]);
  }
  return out;
}
