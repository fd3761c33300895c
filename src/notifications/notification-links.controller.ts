import {
  BadRequestException,
  Controller,
  Get,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Page, Public } from '../auth/access.decorators';
import { Pages } from '../web/pages.service';
import { CATEGORY_LABELS, NotificationLinks, UnsubscribeClaim } from './notification-links';
import { NotificationTracking } from './notification-tracking.service';

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const PIXEL_NAME = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.gif$/i;

/**
 * The links inside sent email: public, because recipients are not signed in.
 * The open pixel and click redirect are keyed by the message id; the click
 * goes only to the app's own URLs. Unsubscribing needs a signed token.
 */
@ApiExcludeController()
@Controller('notifications')
@Public()
export class NotificationLinksController {
  constructor(
    private readonly links: NotificationLinks,
    private readonly tracking: NotificationTracking,
    private readonly pages: Pages,
  ) {}

  @Get('open/:file')
  async open(@Param('file') file: string, @Res() res: Response): Promise<void> {
    const id = PIXEL_NAME.exec(file)?.[1];
    if (!id) throw new BadRequestException('The pixel name must be <message id>.gif');
    await this.tracking.opened(id.toLowerCase());
    res.status(200).type('image/gif').setHeader('Cache-Control', 'no-store, private').send(PIXEL);
  }

  @Get('click/:id')
  async click(
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
    @Query('url') url: unknown,
    @Res() res: Response,
  ): Promise<void> {
    if (typeof url !== 'string' || !url)
      throw new BadRequestException('url must be one link (query parameter)');
    const target = this.links.ownUrl(url);
    if (!target)
      throw new BadRequestException('Only links to TutorMax itself are followed from email');
    await this.tracking.clicked(id);
    res.redirect(302, target);
  }

  @Get('unsubscribe/:token')
  @Page()
  async unsubscribe(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const claim = this.claim(token);
    await this.tracking.unsubscribe(claim);
    this.render(req, res, token, claim, false);
  }

  /** Undo: receive this category again (a form on the unsubscribe page). */
  @Post('unsubscribe/:token/resubscribe')
  @Page()
  async resubscribe(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const claim = this.claim(token);
    await this.tracking.resubscribe(claim);
    this.render(req, res, token, claim, true);
  }

  private claim(token: string): UnsubscribeClaim {
    const claim = this.links.verifyUnsubscribe(token);
    if (!claim) throw new BadRequestException('This unsubscribe link is not valid');
    return claim;
  }

  private render(
    req: Request,
    res: Response,
    token: string,
    claim: UnsubscribeClaim,
    resubscribed: boolean,
  ): void {
    this.pages.send(
      req,
      res,
      'notifications-unsubscribe',
      {
        resubscribed,
        categoryLabel: CATEGORY_LABELS[claim.category] ?? claim.category,
        action: `/notifications/unsubscribe/${token}/resubscribe`,
      },
      { title: resubscribed ? 'Subscribed again' : 'Unsubscribed' },
    );
  }
}
