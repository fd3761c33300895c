import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module';
import { ApiKeyService } from './auth/api-key.service';
import { AppLogger } from './common/app-logger';
import { requestId } from './common/request-id.middleware';
import { toErrorBody } from './common/http-exception.filter';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Request bodies above this are refused with 413. */
export const BODY_LIMIT = '10mb';

/**
 * Builds the Nest application with everything a request passes through; used
 * by main.ts and by the end-to-end tests alike.
 */
export async function createApp(
  config: AppConfig,
  options: { logger?: false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger:
      options.logger === false ? false : LEVELS.slice(0, LEVELS.indexOf(config.LOG_LEVEL) + 1),
  });
  app.set('trust proxy', 1);
  app.disable('x-powered-by');
  app.use(requestId);
  app.use(express.json({ limit: BODY_LIMIT, strict: false }));
  // Body-parser errors happen before Nest's router; answer them in the one error shape.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!error) return next();
    const body = toErrorBody(error);
    res.status(body.statusCode).json(body);
  });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  mountApiDocs(app, config);
  return app;
}

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
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
      .build(),
  );
  if (config.isProduction) {
    // Until staff sign-in exists, production docs need a valid API key.
    const keys = app.get(ApiKeyService);
    app.use(['/api/docs', '/api/docs-json'], (req: Request, res: Response, next: NextFunction) => {
      const key = req.header('x-api-key');
      if (key && keys.verify(key)) return next();
      res.status(401).json({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'The API docs need an X-API-Key header',
      });
    });
  }
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
