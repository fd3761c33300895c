import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  Optional,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { reportError } from '../monitoring/error-reporting';
import { routePattern } from '../monitoring/metrics.service';
import { ViewService } from '../web/view.service';
import { DetailedHttpError, ErrorBody } from './error-body';
import { ValidationFailed } from './validation';

/** Turns anything thrown into the one error body `{ statusCode, error, message, details? }`. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof ValidationFailed) {
    return body(exception.getStatus(), exception.message, exception.fieldErrors);
  }
  if (exception instanceof DetailedHttpError) {
    return body(exception.statusCode, exception.message, exception.details);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    let message = exception.message;
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const m = (response as { message: unknown }).message;
      message = Array.isArray(m) ? m.join('; ') : String(m);
    }
    return body(status, message);
  }
  const bodyParserError = asBodyParserError(exception);
  if (bodyParserError) return bodyParserError;
  return body(
    HttpStatus.INTERNAL_SERVER_ERROR,
    'Something went wrong on our side; it has been logged.',
  );
}

function body(statusCode: number, message: string, details?: ErrorBody['details']): ErrorBody {
  const out: ErrorBody = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
  if (details !== undefined) out.details = details;
  return out;
}

/** Errors raised by Express's body parser before Nest sees the request. */
function asBodyParserError(exception: unknown): ErrorBody | undefined {
  if (typeof exception !== 'object' || exception === null || !('type' in exception))
    return undefined;
  const error = exception as { type: string; message?: string; limit?: number };
  switch (error.type) {
    case 'entity.parse.failed':
      return body(400, `Malformed JSON in request body: ${error.message ?? 'could not parse'}`);
    case 'entity.too.large':
      return body(413, `Request body is larger than the ${formatBytes(error.limit)} limit`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return body(415, error.message ?? 'Unsupported body encoding');
    case 'request.aborted':
      return body(400, 'Request aborted by the client');
    default:
      return undefined;
  }
}

function formatBytes(bytes?: number): string {
  if (!bytes) return 'size';
  return bytes >= 1024 * 1024
    ? `${Math.round(bytes / 1024 / 1024)} MB`
    : `${Math.round(bytes / 1024)} KB`;
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(@Optional() private readonly views?: ViewService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request & { isPage?: boolean }>();
    const response = host.switchToHttp().getResponse<Response>();
    const errorBody = toErrorBody(exception);
    if (errorBody.statusCode >= 500) {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
      // Our failures only: a 4xx is the client's, and a deliberate 503 (not ready, Redis away)
      // is a state the health checks and alerts report; neither reaches Sentry.
      const deliberate =
        exception instanceof HttpException || exception instanceof DetailedHttpError;
      if (!(deliberate && errorBody.statusCode === 503))
        reportError(exception, {
          kind: 'http',
          tags: { method: req.method, route: routePattern(req), status: errorBody.statusCode },
        });
    }
    if (response.headersSent) return;
    const retryAfter = (exception as { retryAfterSeconds?: unknown })?.retryAfterSeconds;
    if (typeof retryAfter === 'number')
      response.setHeader('Retry-After', String(Math.ceil(retryAfter)));
    if (this.wantsPage(req)) {
      if (errorBody.statusCode === 401) {
        response.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      response.status(errorBody.statusCode).type('html').send(this.errorPage(errorBody));
      return;
    }
    response.status(errorBody.statusCode).json(errorBody);
  }

  /** Pages get pages; the API (and anything asking for JSON) gets the JSON error body. */
  private wantsPage(req: Request & { isPage?: boolean }): boolean {
    if (!this.views || req.path.startsWith('/api/') || req.path.startsWith('/health')) return false;
    return Boolean(req.isPage) || req.accepts(['json', 'html']) === 'html';
  }

  private errorPage(body: ErrorBody): string {
    const headings: Record<number, string> = {
      403: 'Not allowed',
      404: 'Page not found',
      429: 'Slow down',
    };
    return this.views!.render(
      'error',
      {
        heading:
          headings[body.statusCode] ??
          (body.statusCode >= 500 ? 'Something went wrong' : body.error),
        message: body.message,
      },
      { title: body.error, csrfToken: '', user: null, nav: [], flash: null },
    );
  }
}
