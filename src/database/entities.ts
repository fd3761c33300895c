import { AuditAnchor } from '../audit/entities/audit-anchor.entity';
import { AuditLogEntry } from '../audit/entities/audit-log-entry.entity';
import { ApiKey } from '../auth/entities/api-key.entity';
import { OneTimeToken } from '../auth/entities/one-time-token.entity';
import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { UserIdentity } from '../auth/entities/user-identity.entity';
import { User } from '../auth/entities/user.entity';
import { Feedback } from '../tutoring/entities/feedback.entity';
import { Student } from '../tutoring/entities/student.entity';
import { TutorEvent } from '../tutoring/entities/tutor-event.entity';
import { Tutor } from '../tutoring/entities/tutor.entity';
import { TutoringSession } from '../tutoring/entities/tutoring-session.entity';
import { OutboxEvent } from '../workers/entities/outbox-event.entity';
import { TutorMetricSnapshot } from '../performance/entities/tutor-metric-snapshot.entity';
import { TutorMetricsTrigger } from '../performance/entities/tutor-metrics-trigger.entity';
import { TutorPerformanceTier } from '../performance/entities/tutor-performance-tier.entity';
import { InterventionConfigVersion } from '../interventions/entities/intervention-config.entity';
import { InterventionNote } from '../interventions/entities/intervention-note.entity';
import { InterventionSlaNotice } from '../interventions/entities/intervention-sla-notice.entity';
import { InterventionTransition } from '../interventions/entities/intervention-transition.entity';
import { Intervention } from '../interventions/entities/intervention.entity';
import { TutorManagerNote } from '../interventions/entities/tutor-manager-note.entity';
import { InAppNotification } from '../notifications/entities/in-app-notification.entity';
import { NotificationMessage } from '../notifications/entities/notification-message.entity';
import { NotificationPreference } from '../notifications/entities/notification-preference.entity';
import { AlertState } from '../monitoring/entities/alert-state.entity';
import { ServiceCheck } from '../monitoring/entities/service-check.entity';
import { ServiceIncident } from '../monitoring/entities/service-incident.entity';
import { AlertEvent } from '../monitoring/entities/alert-event.entity';
import { AlertSilence } from '../monitoring/entities/alert-silence.entity';
import { ApiLatencyBucket } from '../monitoring/entities/api-latency-bucket.entity';
import { FirstSessionPrediction } from '../prediction/entities/first-session-prediction.entity';
import { PredictionModel } from '../prediction/entities/prediction-model.entity';
import { TrainingRun } from '../prediction/entities/training-run.entity';
import { TutorRiskScore } from '../prediction/entities/tutor-risk-score.entity';
import { TutorRisk } from '../prediction/entities/tutor-risk.entity';
import { TutorAcknowledgement } from '../self-service/entities/tutor-acknowledgement.entity';
import { TutorGoal } from '../self-service/entities/tutor-goal.entity';
import { TutorTrainingProgress } from '../self-service/entities/tutor-training-progress.entity';

import { ErasureLedgerEntry } from '../compliance/entities/erasure-ledger.entity';
import { FeedbackTokenUse } from '../compliance/entities/feedback-token-use.entity';
import { FerpaDisclosure } from '../compliance/entities/ferpa-disclosure.entity';
import { GdprRequest } from '../compliance/entities/gdpr-request.entity';
import { LegalHold } from '../compliance/entities/legal-hold.entity';
import { PrivacyConsent } from '../compliance/entities/privacy-consent.entity';
import { StudentPrivacySetting } from '../compliance/entities/student-privacy.entity';
import { ParentalConsent } from '../compliance/entities/parental-consent.entity';
import { ParentLinkToken } from '../compliance/entities/parent-link-token.entity';
import { RetentionRun, RetentionSetting } from '../compliance/entities/retention.entity';
import { BreachIncident } from '../compliance/entities/breach-incident.entity';
/** Every entity, listed once; the app, the CLI and the schema test share it. */
export const ENTITIES = [
  User,
  RefreshToken,
  OneTimeToken,
  UserIdentity,
  ApiKey,
  Tutor,
  Student,
  TutoringSession,
  Feedback,
  TutorEvent,
  OutboxEvent,
  AuditLogEntry,
  AuditAnchor,
  TutorMetricSnapshot,
  TutorPerformanceTier,
  TutorMetricsTrigger,
  Intervention,
  InterventionTransition,
  InterventionNote,
  InterventionSlaNotice,
  InterventionConfigVersion,
  TutorManagerNote,
  NotificationMessage,
  NotificationPreference,
  InAppNotification,
  ServiceCheck,
  ServiceIncident,
  AlertState,
  AlertEvent,
  AlertSilence,
  ApiLatencyBucket,
  TutorRisk,
  TutorRiskScore,
  PredictionModel,
  TrainingRun,
  FirstSessionPrediction,
  FerpaDisclosure,
  StudentPrivacySetting,
  FeedbackTokenUse,
  GdprRequest,
  ErasureLedgerEntry,
  LegalHold,
  PrivacyConsent,
  ParentalConsent,
  ParentLinkToken,
  RetentionSetting,
  RetentionRun,
  BreachIncident,
  TutorGoal,
  TutorTrainingProgress,
  TutorAcknowledgement,
];
