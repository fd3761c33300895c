/**
 * The training library (DOMAIN.md §3.4: twelve resources in nine
 * categories) and the rules that recommend modules from a tutor's 30-day
 * metrics, on the house scales (rates 0–1, engagement 0–100). Progress is
 * stored per tutor and module in tutor_training_progress.
 */

export const TRAINING_CATEGORIES = [
  'student_engagement',
  'time_management',
  'first_session',
  'communication',
  'subject_mastery',
  'technology',
  'student_support',
  'performance',
  'general',
] as const;
export type TrainingCategory = (typeof TRAINING_CATEGORIES)[number];

export interface TrainingModule {
  id: string;
  title: string;
  category: TrainingCategory;
  minutes: number;
  summary: string;
}

export const TRAINING_MODULES: readonly TrainingModule[] = [
  {
    id: 'student-satisfaction',
    title: 'Improving student satisfaction',
    category: 'performance',
    minutes: 45,
    summary: 'What students rate highly: clear goals, checking understanding, a good close.',
  },
  {
    id: 'first-session-excellence',
    title: 'First-session excellence',
    category: 'first_session',
    minutes: 30,
    summary:
      'Getting to know a new student, agreeing goals and leaving them wanting a second session.',
  },
  {
    id: 'time-management',
    title: 'Time management and scheduling',
    category: 'time_management',
    minutes: 30,
    summary: 'Keeping your availability current so sessions rarely need to move.',
  },
  {
    id: 'engagement-strategies',
    title: 'Student engagement strategies',
    category: 'student_engagement',
    minutes: 60,
    summary: 'Questions, short activities and pacing that keep students involved online.',
  },
  {
    id: 'goal-oriented-tutoring',
    title: 'Goal-oriented tutoring',
    category: 'performance',
    minutes: 45,
    summary: 'Planning each session around one learning objective and checking it was met.',
  },
  {
    id: 'reliability',
    title: 'Being there: reliability and punctuality',
    category: 'time_management',
    minutes: 20,
    summary: 'Starting on time, and what to do when you cannot make a session.',
  },
  {
    id: 'clear-explanations',
    title: 'Clear explanations',
    category: 'communication',
    minutes: 40,
    summary: 'Worked examples, plain language and checking what the student heard.',
  },
  {
    id: 'subject-refresh',
    title: 'Subject refresher planning',
    category: 'subject_mastery',
    minutes: 50,
    summary: 'Keeping your own subject knowledge sharp for the topics students ask about most.',
  },
  {
    id: 'online-tools',
    title: 'Online whiteboard and tools',
    category: 'technology',
    minutes: 25,
    summary: 'Avoiding technical trouble: checks before a session and quick fixes during one.',
  },
  {
    id: 'supporting-struggling-students',
    title: 'Supporting students who struggle',
    category: 'student_support',
    minutes: 45,
    summary: 'Patience, encouragement and breaking work into small wins.',
  },
  {
    id: 'advanced-techniques',
    title: 'Advanced tutoring techniques',
    category: 'general',
    minutes: 60,
    summary: 'Spaced practice, retrieval and metacognition for tutors who are doing well.',
  },
  {
    id: 'feedback-loops',
    title: 'Using student feedback',
    category: 'general',
    minutes: 20,
    summary: 'Reading your feedback for patterns and turning them into one change at a time.',
  },
];

export const TRAINING_MODULE_IDS: readonly string[] = TRAINING_MODULES.map((m) => m.id);

/** The 30-day metrics the recommendations read (null: no data). */
export interface RecommendationInput {
  avgRating: number | null;
  firstSessionSuccessRate: number | null;
  rescheduleRate: number | null;
  noShowRate: number | null;
  engagementScore: number | null;
  learningObjectivesMetRate: number | null;
}

export type Priority = 'high' | 'medium' | 'low';

export interface Recommendation {
  moduleId: string;
  priority: Priority;
  /** Why, in plain words, from the tutor's own number (never anything internal). */
  because: string;
}

const pct = (v: number) => `${Math.round(v * 100)}%`;

/**
 * DOMAIN.md §3.4's recommendation rules on one scale: rating under 4.0,
 * first-session success under 80%, reschedules over 15%, engagement under
 * 70 (of 100), objectives met under 80%, plus missed sessions over 5%. With
 * none of them, the advanced module.
 */
export function recommend(m: RecommendationInput): Recommendation[] {
  const out: Recommendation[] = [];
  if (m.avgRating !== null && m.avgRating < 4.0)
    out.push({
      moduleId: 'student-satisfaction',
      priority: 'high',
      because: `your average rating is ${m.avgRating.toFixed(2)}, under 4.0`,
    });
  if (m.firstSessionSuccessRate !== null && m.firstSessionSuccessRate < 0.8)
    out.push({
      moduleId: 'first-session-excellence',
      priority: 'high',
      because: `${pct(m.firstSessionSuccessRate)} of your rated first sessions were rated 4 or 5, under 80%`,
    });
  if (m.learningObjectivesMetRate !== null && m.learningObjectivesMetRate < 0.8)
    out.push({
      moduleId: 'goal-oriented-tutoring',
      priority: 'high',
      because: `learning objectives were met in ${pct(m.learningObjectivesMetRate)} of your sessions, under 80%`,
    });
  if (m.rescheduleRate !== null && m.rescheduleRate > 0.15)
    out.push({
      moduleId: 'time-management',
      priority: 'medium',
      because: `you rescheduled ${pct(m.rescheduleRate)} of your sessions, over 15%`,
    });
  if (m.noShowRate !== null && m.noShowRate > 0.05)
    out.push({
      moduleId: 'reliability',
      priority: 'medium',
      because: `${pct(m.noShowRate)} of your sessions were missed, over 5%`,
    });
  if (m.engagementScore !== null && m.engagementScore < 70)
    out.push({
      moduleId: 'engagement-strategies',
      priority: 'medium',
      because: `your engagement score is ${Math.round(m.engagementScore)}, under 70`,
    });
  if (!out.length)
    out.push({
      moduleId: 'advanced-techniques',
      priority: 'low',
      because: 'your numbers are on track: this one takes you further',
    });
  return out;
}

export const TRAINING_STATUSES = ['not_started', 'in_progress', 'completed'] as const;
export type TrainingStatus = (typeof TRAINING_STATUSES)[number];
