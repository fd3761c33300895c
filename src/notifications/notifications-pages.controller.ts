import {
  Controller,
  Get,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Page, RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { AppConfig } from '../config/app-config';
import { Pages } from '../web/pages.service';
import { InAppNotifications } from './in-app-notifications.service';

const EML_NAME = /^[A-Za-z0-9._-]{1,200}\.eml$/;

const userId = (req: Request) => {
  const principal = (req as AppRequest).principal;
  if (principal?.kind !== 'user') throw new NotFoundException('No notifications for this caller');
  return principal.id;
};

/** `/notifications`: the signed-in user's in-app list. */
@ApiExcludeController()
@Controller('notifications')
export class NotificationsPagesController {
  constructor(
    private readonly inApp: InAppNotifications,
    private readonly pages: Pages,
  ) {}

  @Get()
  @Page()
  @RequirePermission('self.read')
  async list(@Req() req: Request, @Res() res: Response): Promise<void> {
    const items = await this.inApp.list(userId(req));
    this.pages.send(
      req,
      res,
      'notifications',
      { items, unread: items.filter((i) => !i.read).length },
      { title: 'Notifications' },
    );
  }

  @Post('read-all')
  @Page()
  @RequirePermission('self.read')
  async readAll(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.inApp.markAllRead(userId(req));
    res.redirect(303, '/notifications');
  }

  /** Marks one read, then follows its link (an app path) or returns to the list. */
  @Post(':id/read')
  @Page()
  @RequirePermission('self.read')
  async read(
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.inApp.markRead(userId(req), id);
    res.redirect(303, '/notifications');
  }
}

/** `/admin/messages`: the message log, and the .eml files of a run without SMTP. */
@ApiExcludeController()
@Controller('admin/messages')
export class AdminMessagesController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly pages: Pages,
  ) {}

  @Get()
  @Page()
  @RequirePermission('system.operate')
  async page(@Req() req: Request, @Res() res: Response): Promise<void> {
    const messages: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT id, workflow, entity_key, category, template, recipient_kind, recipient_id, status,
              attempts, last_error, queued_at, sent_at, failed_at, opened_at, click_count, eml_file
         FROM notification_messages ORDER BY queued_at DESC, id DESC LIMIT 200`,
    );
    const [counts]: Record<string, number>[] = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued,
              count(*) FILTER (WHERE status = 'sent')::int AS sent,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              count(*) FILTER (WHERE status = 'bounced')::int AS bounced,
              count(*) FILTER (WHERE status = 'suppressed')::int AS suppressed
         FROM notification_messages`,
    );
    this.pages.send(
      req,
      res,
      'admin/messages',
      {
        smtp: Boolean(this.config.SMTP_URL),
        dropDir: this.config.mailDropDir,
        files: this.emlFiles(),
        counts,
        messages: messages.map((m) => ({
          ...m,
          failed: m.status === 'failed' || m.status === 'bounced',
          last_error: m.last_error ?? '',
        })),
      },
      { title: 'Messages' },
    );
  }

  /** One .eml file as plain text (never rendered as HTML). */
  @Get('eml/:name')
  @RequirePermission('system.operate')
  eml(@Param('name') name: string, @Res() res: Response): void {
    if (!EML_NAME.test(name)) throw new NotFoundException(`No mail file ${name}`);
    const path = join(this.config.mailDropDir, name);
    if (!existsSync(path)) throw new NotFoundException(`No mail file ${name}`);
    res
      .status(200)
      .type('text/plain; charset=utf-8')
      .setHeader('Content-Disposition', `inline; filename="${name}"`)
      .setHeader('Cache-Control', 'no-store')
      .send(readFileSync(path));
  }

  private emlFiles(): { name: string; size: number; modified: Date }[] {
    const dir = this.config.mailDropDir;
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => EML_NAME.test(f))
      .map((name) => {
        const s = statSync(join(dir, name));
        return { name, size: s.size, modified: s.mtime };
      })
      .sort((a, b) => b.modified.getTime() - a.modified.getTime())
      .slice(0, 200);
  }
}
