import { HttpException, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { DestinationStream } from 'pino';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { RequestAuthenticator } from './auth/request-authenticator';
import type { AppRequest } from './auth/principal';
import { AppLogger } from './common/app-logger';
import { toErrorBody } from './common/http-exception.filter';
import { VIEWS_DIR } from './common/paths';
import { requestContext } from './common/request-context';
import { requestId } from './common/request-id.middleware';
import { WebActivity } from './common/web-activity';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { BULL_BOARD_PATH, mountBullBoard } from './workers/bull-board';
import { MonitoringMetrics } from './monitoring/metrics.service';

/** Request bodies above this are refused with 413. */
export const BODY_LIMIT = '10mb';
const FORM_LIMIT = '1mb';

/**
 * Builds the Nest application with everything a request passes through; used
 * by main.ts and by the end-to-end tests alike.
 */
export async function createApp(
  config: AppConfig,
  options: { logger?: false; logDestination?: DestinationStream } = {},
): Promise<INestApplication> {
  const logging = options.logger === false ? false : { destination: options.logDestination };
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, logging),
    logging === false
      ? { bodyParser: false, logger: false }
      : { bodyParser: false, bufferLogs: true },
  );
  // One logging path: Nest's Logger everywhere goes through pino as JSON lines.
  if (logging !== false) {
    app.useLogger(app.get(AppLogger));
    app.flushLogs();
  }
  app.set('trust proxy', 1);
  app.disable('x-powered-by');
  // Counts every request by its matched route pattern, refused ones included.
  app.use(app.get(MonitoringMetrics).httpMiddleware());
  // Tells the job slots when people are using the app (the pages come first).
  app.use(app.get(WebActivity).middleware());
  app.use(requestId);
  app.use(requestContext);
  app.use(securityHeaders(config));
  app.use(cookieParser());
  app.use(express.json({ limit: BODY_LIMIT, strict: false }));
  app.use(express.urlencoded({ extended: false, limit: FORM_LIMIT }));
  // Body-parser errors happen before Nest's router; answer them in the one error shape.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!error) return next();
    const body = toErrorBody(error);
    res.status(body.statusCode).json(body);
  });
  // Stylesheets and scripts for the pages: public, like the sign-in page that needs them.
  app.use(
    '/static',
    express.static(join(VIEWS_DIR, 'static'), {
      index: false,
      maxAge: config.isProduction ? '1h' : 0,
    }),
  );
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  mountApiDocs(app, config);
  mountBullBoard(app, config);
  return app;
}

/**
 * helmet: a CSP without inline scripts (pages load /static/app.js), no
 * framing, HSTS in production. Swagger UI needs inline styles, so /api/docs
 * alone relaxes style-src.
 */
function securityHeaders(config: AppConfig) {
  const directives = {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    upgradeInsecureRequests: config.isProduction ? [] : null,
  };
  // same-origin, not helmet's no-referrer: under no-referrer browsers send `Origin: null` on
  // their own form posts, which the CSRF origin check must refuse; cross-site requests still get no referrer.
  const referrerPolicy = { policy: 'same-origin' as const };
  const strict = helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    referrerPolicy,
    strictTransportSecurity: config.isProduction
      ? { maxAge: 31_536_000, includeSubDomains: true }
      : false,
    crossOriginEmbedderPolicy: false,
  });
  const docs = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...directives, styleSrc: ["'self'", "'unsafe-inline'"] },
    },
    referrerPolicy,
    strictTransportSecurity: config.isProduction
      ? { maxAge: 31_536_000, includeSubDomains: true }
      : false,
    crossOriginEmbedderPolicy: false,
  });
  // Bull Board's UI also uses inline styles.
  return (req: Request, res: Response, next: NextFunction) =>
    req.path.startsWith('/api/docs') || req.path.startsWith(BULL_BOARD_PATH)
      ? docs(req, res, next)
      : strict(req, res, next);
}

/** OpenAPI at /api/docs; outside production open, in production only for signed-in staff. */
function mountApiDocs(app: INestApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('TutorMax API')
      .setDescription(
        'Tutor quality and retention. Errors share one body: { statusCode, error, message, details? }. ' +
          'Lists take ?limit&cursor and answer { items, nextCursor }.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
      .build(),
  );
  if (config.isProduction) {
    const authenticator = app.get(RequestAuthenticator);
    app.use(['/api/docs', '/api/docs-json'], (req: Request, res: Response, next: NextFunction) => {
      authenticator
        .identify(req as AppRequest, res)
        .then(({ principal }) => {
          if (principal?.permissions.has('tutoring.read')) return next();
          if (!principal && req.accepts(['json', 'html']) === 'html')
            return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
          const body = toErrorBody(
            new HttpException('The API docs are for signed-in staff', principal ? 403 : 401),
          );
          res.status(body.statusCode).json(body);
        })
        .catch(next);
    });
  }
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
