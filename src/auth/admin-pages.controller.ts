import {
  Body,
  Controller,
  Get,
  HttpException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { SkipAudit } from '../audit/audit.decorators';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Pages } from '../web/pages.service';
import { Page, RequirePermission } from './access.decorators';
import { apiKeyView, userView } from './admin-api.controller';
import { ApiKeyService } from './api-key.service';
import { UserListQueryDto } from './dto/admin.dto';
import { Role, ROLES } from './entities/user.entity';
import { API_KEY_PERMISSIONS, Permission } from './permissions';
import type { AppRequest } from './principal';
import { UserImportService } from './user-import.service';
import { UsersService } from './users.service';

type Form = Record<string, unknown>;
const uuid = new ParseUUIDPipe({ errorHttpStatusCode: 404 });
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : [];
const rolesFrom = (v: unknown): Role[] =>
  list(v).filter((r): r is Role => (ROLES as readonly string[]).includes(r));

/** Problems the admin can fix (4xx) are shown on the page; anything else propagates. */
function clientProblem(error: unknown): string {
  if (error instanceof HttpException && error.getStatus() < 500) return error.message;
  throw error;
}

/** The admins' pages for users and API keys. */
@ApiExcludeController()
@Controller('admin')
export class AdminPagesController {
  constructor(
    private readonly users: UsersService,
    private readonly imports: UserImportService,
    private readonly apiKeys: ApiKeyService,
    private readonly pages: Pages,
  ) {}

  @Get('users')
  @Page()
  @RequirePermission('users.manage')
  async list(
    @Query() query: UserListQueryDto,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const page = await this.users.list({ ...query, limit: 50 });
    const params = new URLSearchParams();
    if (query.q) params.set('q', query.q);
    if (query.role) params.set('role', query.role);
    if (query.active !== undefined) params.set('active', String(query.active));
    if (page.nextCursor) params.set('cursor', page.nextCursor);
    this.pages.send(
      req,
      res,
      'admin/users',
      {
        users: page.items.map(userView),
        q: query.q ?? '',
        roles: ROLES.map((r) => ({ value: r, selected: r === query.role })),
        active: query.active === undefined ? '' : String(query.active),
        nextHref: page.nextCursor ? `/admin/users?${params.toString()}` : null,
      },
      { title: 'Users' },
    );
  }

  @Get('users/new')
  @Page()
  @RequirePermission('users.manage')
  inviteForm(@Req() req: AppRequest, @Res() res: Response): void {
    this.renderInvite(req, res, { email: '', fullName: '', roles: [] }, null);
  }

  @Post('users')
  @Page()
  @RequirePermission('users.manage')
  @SkipAudit()
  async invite(@Body() body: Form, @Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const input = {
      email: text(body.email),
      fullName: text(body.fullName),
      roles: rolesFrom(body.roles),
    };
    try {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(input.email))
        throw new HttpException('Enter the user’s email address', 400);
      if (!input.fullName) throw new HttpException('Enter the user’s name', 400);
      const user = await this.users.invite(input);
      res.redirect(303, `/admin/users/${user.id}?notice=invited`);
    } catch (error) {
      this.renderInvite(req, res, input, clientProblem(error), 400);
    }
  }

  @Get('users/import')
  @Page()
  @RequirePermission('users.manage')
  importForm(@Req() req: AppRequest, @Res() res: Response): void {
    this.pages.send(
      req,
      res,
      'admin/users-import',
      { csv: '', report: null, canImport: false, error: null },
      { title: 'Import users' },
    );
  }

  @Post('users/import')
  @Page()
  @RequirePermission('users.manage')
  @SkipAudit()
  async import(@Body() body: Form, @Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const csv = typeof body.csv === 'string' ? body.csv : '';
    const dryRun = body.action !== 'import';
    const report = await this.imports.run(csv, dryRun);
    if (!dryRun && report.created > 0) return res.redirect(303, '/admin/users?notice=imported');
    this.pages.send(
      req,
      res,
      'admin/users-import',
      { csv, report, canImport: report.valid > 0 && report.invalid === 0, error: null },
      { title: 'Import users', status: report.invalid ? 400 : 200 },
    );
  }

  @Get('users/:id')
  @Page()
  @RequirePermission('users.manage')
  async show(
    @Param('id', uuid) id: string,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    await this.renderUser(req, res, id, null);
  }

  @Post('users/:id')
  @Page()
  @RequirePermission('users.manage')
  @SkipAudit()
  async update(
    @Param('id', uuid) id: string,
    @Body() body: Form,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    try {
      if (text(body.fullName)) await this.users.rename(id, text(body.fullName));
      await this.users.setRoles(id, rolesFrom(body.roles));
      res.redirect(303, `/admin/users/${id}?notice=saved`);
    } catch (error) {
      await this.renderUser(req, res, id, clientProblem(error), 409);
    }
  }

  @Post('users/:id/deactivate')
  @Page()
  @RequirePermission('users.manage')
  @SkipAudit()
  async deactivate(
    @Param('id', uuid) id: string,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    try {
      await this.users.setActive(id, false);
      res.redirect(303, `/admin/users/${id}?notice=deactivated`);
    } catch (error) {
      await this.renderUser(req, res, id, clientProblem(error), 409);
    }
  }

  @Post('users/:id/reactivate')
  @Page()
  @RequirePermission('users.manage')
  @SkipAudit()
  async reactivate(@Param('id', uuid) id: string, @Res() res: Response): Promise<void> {
    await this.users.setActive(id, true);
    res.redirect(303, `/admin/users/${id}?notice=reactivated`);
  }

  @Post('users/:id/reset-password')
  @Page()
  @RequirePermission('users.manage')
  async reset(@Param('id', uuid) id: string, @Res() res: Response): Promise<void> {
    await this.users.sendPasswordReset(await this.users.get(id));
    res.redirect(303, `/admin/users/${id}?notice=user-reset-sent`);
  }

  @Get('api-keys')
  @Page()
  @RequirePermission('api_keys.manage')
  async keys(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    await this.renderKeys(req, res, null, null);
  }

  @Post('api-keys')
  @Page()
  @RequirePermission('api_keys.manage')
  @SkipAudit()
  async createKey(@Body() body: Form, @Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const permissions = list(body.permissions).filter((p): p is Permission =>
      API_KEY_PERMISSIONS.includes(p as Permission),
    );
    try {
      if (!text(body.name)) throw new HttpException('Give the key a name', 400);
      const { key, secret } = await this.apiKeys.create(
        text(body.name),
        permissions,
        req.principal!.id,
      );
      await this.renderKeys(req, res, { name: key.name, secret }, null);
    } catch (error) {
      await this.renderKeys(req, res, null, clientProblem(error), 400);
    }
  }

  @Post('api-keys/:id/revoke')
  @Page()
  @RequirePermission('api_keys.manage')
  @SkipAudit()
  async revokeKey(@Param('id', uuid) id: string, @Res() res: Response): Promise<void> {
    await this.apiKeys.revoke(id);
    res.redirect(303, '/admin/api-keys?notice=key-revoked');
  }

  private renderInvite(
    req: AppRequest,
    res: Response,
    input: { email: string; fullName: string; roles: Role[] },
    error: string | null,
    status = 200,
  ): void {
    this.pages.send(
      req,
      res,
      'admin/user-new',
      {
        ...input,
        roleOptions: ROLES.map((r) => ({ value: r, checked: input.roles.includes(r) })),
        error,
      },
      { title: 'Invite a user', status },
    );
  }

  private async renderUser(
    req: AppRequest,
    res: Response,
    id: string,
    error: string | null,
    status = 200,
  ): Promise<void> {
    const user = userView(await this.users.get(id));
    this.pages.send(
      req,
      res,
      'admin/user',
      {
        user,
        roleOptions: ROLES.map((r) => ({ value: r, checked: user.roles.includes(r) })),
        error,
      },
      { title: user.fullName, status: error ? status : 200 },
    );
  }

  private async renderKeys(
    req: AppRequest,
    res: Response,
    created: { name: string; secret: string } | null,
    error: string | null,
    status = 200,
  ): Promise<void> {
    const keys = (await this.apiKeys.list()).map(apiKeyView);
    this.pages.send(
      req,
      res,
      'admin/api-keys',
      { keys, created, error, permissionOptions: API_KEY_PERMISSIONS.map((p) => ({ value: p })) },
      { title: 'API keys', status },
    );
  }
}
