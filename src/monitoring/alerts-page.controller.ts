import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Page, RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { Pages } from '../web/pages.service';
import { AlertingService } from './alerting.service';

/** What a silence may name: a rule, or a prefix ending in `*` (`uptime:*`). */
const RULE_PATTERN = /^[a-z0-9_:.-]{1,59}\*?$/;
const MAX_SILENCE_HOURS = 24 * 14;

const DONE: Record<string, string> = {
  silenced: 'Silenced: notifications of the matching rules are held back until it expires.',
  ended: 'The silence has ended; notifications are sent again.',
  'not-active': 'That silence had already ended or expired.',
};

type Form = Record<string, unknown>;
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/**
 * `/admin/alerts` (system.operate): rules firing now, the recent history of
 * firings and resolutions, and silences with an expiry (create, end early).
 */
@ApiExcludeController()
@Controller('admin/alerts')
export class AlertsPageController {
  constructor(
    private readonly alerting: AlertingService,
    private readonly pages: Pages,
  ) {}

  @Get()
  @Page()
  @RequirePermission('system.operate')
  async page(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const done = typeof req.query.done === 'string' ? DONE[req.query.done] : undefined;
    await this.render(
      req,
      res,
      { rule: '', hours: '4', reason: '' },
      done ? { kind: 'info', text: done } : null,
    );
  }

  @Post('silences')
  @Page()
  @RequirePermission('system.operate')
  @HttpCode(303)
  async silence(@Body() body: Form, @Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const input = { rule: text(body.rule), hours: text(body.hours), reason: text(body.reason) };
    const hours = Number(input.hours);
    const problem = !RULE_PATTERN.test(input.rule)
      ? 'Rule: name a rule (e.g. uptime:smtp) or a prefix ending in * (e.g. uptime:*)'
      : !Number.isInteger(hours) || hours < 1 || hours > MAX_SILENCE_HOURS
        ? `Hours: a whole number from 1 to ${MAX_SILENCE_HOURS}`
        : !input.reason || input.reason.length > 500
          ? 'Reason: say why (up to 500 characters), so others know'
          : null;
    if (problem) {
      await this.render(req, res, input, { kind: 'error', text: problem }, 400);
      return;
    }
    const userId = req.principal?.kind === 'user' ? req.principal.id : null;
    await this.alerting.silence(input.rule, hours, input.reason, userId);
    res.redirect(303, '/admin/alerts?done=silenced');
  }

  @Post('silences/:id/end')
  @Page()
  @RequirePermission('system.operate')
  @HttpCode(303)
  async end(
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) id: string,
    @Res() res: Response,
  ): Promise<void> {
    const ended = await this.alerting.endSilence(id);
    res.redirect(303, `/admin/alerts?done=${ended ? 'ended' : 'not-active'}`);
  }

  private async render(
    req: AppRequest,
    res: Response,
    form: { rule: string; hours: string; reason: string },
    flash: { kind: 'info' | 'error'; text: string } | null,
    status = 200,
  ): Promise<void> {
    const [states, history, silences] = await Promise.all([
      this.alerting.states(),
      this.alerting.history(),
      this.alerting.silences(),
    ]);
    this.pages.send(
      req,
      res,
      'admin/alerts',
      {
        firing: states.filter((s) => s.status === 'firing'),
        rules: states.map((s) => s.rule),
        history: history.map((h) => ({ ...h, firing: h.status === 'firing' })),
        silences,
        form,
        maxHours: MAX_SILENCE_HOURS,
      },
      { title: 'Alerts', status, flash },
    );
  }
}
