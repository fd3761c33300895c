import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { WorkersModule } from '../workers/workers.module';
import { InAppNotifications } from './in-app-notifications.service';
import { MailService } from './mail.service';
import { MessageDelivery } from './message-delivery.service';
import { NotificationLinks } from './notification-links';
import { NotificationLinksController } from './notification-links.controller';
import { NotificationTracking } from './notification-tracking.service';
import { NotificationWorkflows } from './notification-workflows.service';
import {
  NotificationsPagesController,
  AdminMessagesController,
} from './notifications-pages.controller';
import { NotificationsProcessor } from './notifications.processor';
import { NotificationsService } from './notifications.service';
import { UnreadCountInterceptor } from './unread-count.interceptor';

/**
 * Email and in-app notifications: the transport and templates, the message
 * log with dedupe and queued delivery, tracking and unsubscribe links, the
 * in-app list, and the workflows that decide who is told what.
 */
@Module({
  imports: [WorkersModule],
  controllers: [NotificationLinksController, NotificationsPagesController, AdminMessagesController],
  providers: [
    MailService,
    NotificationLinks,
    NotificationsService,
    MessageDelivery,
    NotificationTracking,
    InAppNotifications,
    NotificationWorkflows,
    NotificationsProcessor,
    { provide: APP_INTERCEPTOR, useClass: UnreadCountInterceptor },
  ],
  exports: [MailService, NotificationsService, NotificationLinks, InAppNotifications],
})
export class NotificationsModule {}
