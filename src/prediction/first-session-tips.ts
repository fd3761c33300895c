import { SUBJECT_FAMILIES } from '../tutoring/tutoring.constants';

/** Preparation tips chosen by rule from the session's features (DOMAIN.md §5), at most five. */
export function firstSessionTips(f: Record<string, number | null>, subject: string): string[] {
  const tips: string[] = [];
  const v = (k: string) => f[k];
  const firstRate = v('prior_first_success_rate');
  if (firstRate !== null && firstRate < 0.7)
    tips.push('Open by asking what the student wants from tutoring, and agree one goal for today.');
  const rating = v('prior_avg_rating');
  if (rating !== null && rating < 4)
    tips.push('Check in halfway: ask whether the pace and explanations work for them.');
  if ((v('tenure_days') ?? 999) < 90)
    tips.push('Prepare a short plan for the hour and a quick warm-up exercise.');
  const engagement = v('prior_engagement');
  if (engagement !== null && engagement < 0.7)
    tips.push('Keep the student talking: short questions, let them work problems themselves.');
  if ((v('early_morning') ?? 0) === 1)
    tips.push('Morning sessions have more no-shows: send a friendly reminder the day before.');
  const age = v('student_age');
  if (age !== null && age < 10)
    tips.push('Younger students focus for shorter spells: plan activities of 10–15 minutes.');
  if (age !== null && age > 16)
    tips.push('Older students value autonomy: ask which exam or course goal matters most.');
  if ((SUBJECT_FAMILIES.STEM as readonly string[]).includes(subject))
    tips.push('Have two or three worked examples ready at different levels.');
  else if ((SUBJECT_FAMILIES.Language as readonly string[]).includes(subject))
    tips.push('Ask for a recent piece of their writing or reading to work from.');
  else tips.push('Bring a short diagnostic set of questions to find the gaps quickly.');
  if (tips.length < 2) {
    tips.push('Arrive five minutes early and test your audio and video.');
    tips.push('End by agreeing what to practise before the next session.');
  }
  return tips.slice(0, 5);
}
