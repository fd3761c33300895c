/**
 * Plain-language explanation of the churn model, included in every tutor's
 * access and portability archive (GDPR Art. 15(1)(h): meaningful information
 * about the logic of automated profiling).
 */
export const CHURN_MODEL_EXPLANATION = [
  'TutorMax estimates how likely a tutor is to stop tutoring with us (a "churn risk" from 0 to 100, shown as low 0-25, medium 26-50, high 51-75 or critical 76-100).',
  'The estimate is computed from your tutoring activity only, never from your name, age, location or other personal characteristics. The factors it uses are:',
  '- Recent session volume compared with your own usual level (your baseline): fewer sessions than usual raises the estimate.',
  '- No-show rate: the share of scheduled sessions that did not take place.',
  '- Reschedule rate: the share of sessions you asked to reschedule.',
  '- Ratings: the average rating students gave your sessions, and how many first sessions went well.',
  '- Engagement: how engaged students were during sessions, and whether learning objectives were met.',
  '- Login activity and responsiveness: how recently and how often you signed in and answered messages.',
  '- Trends: whether these figures are getting better or worse over the last 7, 30 and 90 days.',
  'The archive lists your current estimate, its history and, for each estimate, the factors that contributed most ("top_factors").',
  'The estimate is used by staff to offer support (coaching, check-ins, recognition); it never decides anything on its own. A staff member can override it with a reason.',
  'You can object to this profiling at any time (a GDPR "objection" request of type profiling): we then stop computing the estimate for you and delete the stored estimates.',
].join('\n');
