import { IsUUID } from 'class-validator';
import { EventJobPayload } from '../../workers/domain-event.dto';

/** notification.queued: the message to send (the event id is the message id too). */
export class DeliverMessageJob extends EventJobPayload {
  @IsUUID()
  messageId: string;
}

/** session.recorded: the session that may deserve a feedback invitation. */
export class FeedbackInvitationJob extends EventJobPayload {
  @IsUUID()
  sessionId: string;
}

/** Scheduled sweeps take no payload. */
export class NotificationSweepJob {}
