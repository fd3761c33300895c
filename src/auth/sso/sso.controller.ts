import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Page, Public } from '../access.decorators';
import type { AppRequest } from '../principal';
import { SsoService } from './sso.service';

/**
 * Google and Microsoft sign-in. Public pages: the start sends the browser to
 * the provider; the callback is protected by the single-use state (a GET, so
 * the CSRF check, which covers unsafe methods, does not apply).
 */
@ApiExcludeController()
@Controller('auth')
export class SsoController {
  constructor(private readonly sso: SsoService) {}

  @Get('google')
  @Page()
  @Public()
  startGoogle(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    return this.sso.start('google', req, res);
  }

  @Get('google/callback')
  @Page()
  @Public()
  finishGoogle(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    return this.sso.callback('google', req, res);
  }

  @Get('microsoft')
  @Page()
  @Public()
  startMicrosoft(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    return this.sso.start('microsoft', req, res);
  }

  @Get('microsoft/callback')
  @Page()
  @Public()
  finishMicrosoft(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    return this.sso.callback('microsoft', req, res);
  }
}
