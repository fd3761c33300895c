/** Age in whole years on `date`, from birth year and month (born on the 1st). */
export function ageOn(birthYear: number, birthMonth: number, date: Date): number {
  const months = (date.getUTCFullYear() - birthYear) * 12 + (date.getUTCMonth() + 1 - birthMonth);
  return Math.floor(months / 12);
}
