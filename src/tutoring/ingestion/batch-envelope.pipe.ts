import { Injectable, PipeTransform } from '@nestjs/common';
import { DetailedHttpError } from '../../common/error-body';
import { MAX_BATCH_ITEMS } from '../tutoring.constants';

const SHAPE = 'the body must be { "items": [ ... ] }';

/** Checks the `{ items: [...] }` envelope of an ingestion request and returns the items. */
@Injectable()
export class BatchEnvelopePipe implements PipeTransform<unknown, unknown[]> {
  transform(body: unknown): unknown[] {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new DetailedHttpError(400, `Request body must be a JSON object; ${SHAPE}`);
    }
    const unknownFields = Object.keys(body).filter((k) => k !== 'items');
    if (unknownFields.length) {
      throw new DetailedHttpError(
        400,
        `Unknown top-level field${unknownFields.length > 1 ? 's' : ''}: ${unknownFields.join(', ')}; ${SHAPE}`,
        {
          unknownFields,
        },
      );
    }
    const items = (body as { items?: unknown }).items;
    if (!Array.isArray(items)) {
      throw new DetailedHttpError(
        400,
        `items must be an array of 1 to ${MAX_BATCH_ITEMS} records; ${SHAPE}`,
      );
    }
    if (items.length === 0)
      throw new DetailedHttpError(400, 'items is empty; send 1 to 5000 records');
    if (items.length > MAX_BATCH_ITEMS) {
      throw new DetailedHttpError(
        413,
        `items holds ${items.length} records; at most ${MAX_BATCH_ITEMS} per request`,
      );
    }
    return items;
  }
}
