import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { SkipAudit } from '../audit/audit.decorators';
import { ApiTags } from '@nestjs/swagger';
import { Page as ListPage } from '../common/pagination';
import { RequirePermission } from './access.decorators';
import { ApiKeyService } from './api-key.service';
import {
  BulkUsersDto,
  CreateApiKeyDto,
  ImportUsersDto,
  InviteUserDto,
  UpdateUserDto,
  UserListQueryDto,
} from './dto/admin.dto';
import { ApiKey } from './entities/api-key.entity';
import { User } from './entities/user.entity';
import type { AppRequest } from './principal';
import { ImportReport, UserImportService } from './user-import.service';
import { UsersService } from './users.service';

const uuid = new ParseUUIDPipe({ errorHttpStatusCode: 400 });

export interface UserView {
  id: string;
  email: string;
  fullName: string;
  roles: string[];
  isActive: boolean;
  tutorId: string | null;
  studentId: string | null;
  lastLoginAt: Date | null;
  createdAt: Date;
}

export const userView = (u: User): UserView => ({
  id: u.id,
  email: u.email,
  fullName: u.fullName,
  roles: u.roles,
  isActive: u.isActive,
  tutorId: u.tutorId,
  studentId: u.studentId,
  lastLoginAt: u.lastLoginAt,
  createdAt: u.createdAt,
});

export const apiKeyView = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  permissions: k.permissions,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
  revokedAt: k.revokedAt,
});

/** Admin user management and API keys, as JSON. */
@ApiTags('admin')
@Controller('api/v1/admin')
export class AdminApiController {
  constructor(
    private readonly users: UsersService,
    private readonly imports: UserImportService,
    private readonly apiKeys: ApiKeyService,
  ) {}

  @Get('users')
  @RequirePermission('users.manage')
  async list(@Query() query: UserListQueryDto): Promise<ListPage<UserView>> {
    const page = await this.users.list(query);
    return { items: page.items.map(userView), nextCursor: page.nextCursor };
  }

  /** Creates the user and emails them a link to set their password; admins never set passwords. */
  @Post('users')
  @RequirePermission('users.manage')
  @SkipAudit()
  async invite(@Body() body: InviteUserDto): Promise<UserView> {
    return userView(await this.users.invite(body));
  }

  @Get('users/:id')
  @RequirePermission('users.manage')
  async get(@Param('id', uuid) id: string): Promise<UserView> {
    return userView(await this.users.get(id));
  }

  @Patch('users/:id')
  @RequirePermission('users.manage')
  @SkipAudit()
  async update(@Param('id', uuid) id: string, @Body() body: UpdateUserDto): Promise<UserView> {
    if (body.fullName !== undefined) await this.users.rename(id, body.fullName);
    if (body.roles !== undefined) await this.users.setRoles(id, body.roles);
    return userView(await this.users.get(id));
  }

  @Post('users/:id/deactivate')
  @HttpCode(200)
  @RequirePermission('users.manage')
  @SkipAudit()
  async deactivate(@Param('id', uuid) id: string): Promise<UserView> {
    return userView(await this.users.setActive(id, false));
  }

  @Post('users/:id/reactivate')
  @HttpCode(200)
  @RequirePermission('users.manage')
  @SkipAudit()
  async reactivate(@Param('id', uuid) id: string): Promise<UserView> {
    return userView(await this.users.setActive(id, true));
  }

  /** Emails the user a single-use reset link. */
  @Post('users/:id/reset-password')
  @HttpCode(202)
  @RequirePermission('users.manage')
  async reset(@Param('id', uuid) id: string): Promise<{ message: string }> {
    await this.users.sendPasswordReset(await this.users.get(id));
    return { message: 'A reset link has been emailed to the user.' };
  }

  /** CSV import (email, full_name, roles); with dryRun nothing is written. */
  @Post('users/import')
  @HttpCode(200)
  @RequirePermission('users.manage')
  @SkipAudit()
  import(@Body() body: ImportUsersDto): Promise<ImportReport> {
    return this.imports.run(body.csv, body.dryRun ?? true);
  }

  @Post('users/bulk')
  @HttpCode(200)
  @RequirePermission('users.manage')
  @SkipAudit()
  bulk(@Body() body: BulkUsersDto): Promise<{ changed: number }> {
    return this.users.bulk(body.userIds, body.action, body.role);
  }

  @Get('api-keys')
  @RequirePermission('api_keys.manage')
  async keys() {
    return { items: (await this.apiKeys.list()).map(apiKeyView), nextCursor: null };
  }

  /** The secret is in this answer only; it is stored hashed. */
  @Post('api-keys')
  @RequirePermission('api_keys.manage')
  @SkipAudit()
  async createKey(@Body() body: CreateApiKeyDto, @Req() req: AppRequest) {
    const { key, secret } = await this.apiKeys.create(
      body.name,
      body.permissions,
      req.principal!.id,
    );
    return { ...apiKeyView(key), secret };
  }

  @Delete('api-keys/:id')
  @RequirePermission('api_keys.manage')
  @SkipAudit()
  async revokeKey(@Param('id', uuid) id: string) {
    return apiKeyView(await this.apiKeys.revoke(id));
  }
}
