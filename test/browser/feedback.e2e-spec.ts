import { mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Page } from 'playwright-core';
import { NotificationLinks } from '../../src/notifications/notification-links';
import { openPhoneBrowser, PhoneBrowser } from '../helpers/browser';
import { completedSession, studentItem, tutorItem } from '../helpers/fixtures';
import { ingest } from '../helpers/ingest';
import { startTestApp, TestApp } from '../helpers/test-app';

const ARTIFACTS = join(__dirname, 'artifacts');

describe('browser: a student gives feedback on a phone (390 px)', () => {
  let t: TestApp;
  let browser: PhoneBrowser;
  let page: Page;
  let base: string;
  let sessionId: string;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    const tutor = tutorItem({ name: 'Grace Hopper' });
    const student = studentItem({ email: 'sam.phone@example.invalid' });
    await ingest(t.http, 'tutors', [tutor]);
    await ingest(t.http, 'students', [student]);
    const [s] = await ingest(t.http, 'sessions', [
      completedSession(tutor.externalId, student.externalId),
    ]);
    sessionId = s.id!;
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await openPhoneBrowser({ javaScriptEnabled: false });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  it('fills the form without JavaScript, fits the screen, and is thanked', async () => {
    const url = t.app.get(NotificationLinks).feedbackUrl(sessionId, 'student', new Date());
    const path = url.slice(url.indexOf('/feedback/'));
    await page.goto(`${base}${path}`);
    await page.getByRole('heading', { name: 'How was your session?' }).waitFor();
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    // Radio buttons are visually replaced by their labels: large tap targets.
    const box = await page.locator('label[for="overallRating-4"]').boundingBox();
    expect(box!.height).toBeGreaterThanOrEqual(44);
    await page.locator('label[for="overallRating-4"]').click();
    await page.locator('label[for="communicationRating-5"]').click();
    await page.getByLabel('Maybe').check();
    await page.getByLabel('Punctuality').check();
    await page.getByLabel(/Comments/).fill('Good pace, started late.');
    await page.screenshot({ path: join(ARTIFACTS, 'feedback-form-390.png'), fullPage: true });
    await page.getByRole('button', { name: 'Send feedback' }).click();
    await page.getByRole('heading', { name: 'Thank you for your feedback' }).waitFor();
    const [row] = await t.dataSource.query(
      'SELECT overall_rating, communication_rating, work_again, improvement_areas FROM student_feedback WHERE session_id = $1',
      [sessionId],
    );
    expect(row).toEqual({
      overall_rating: 4,
      communication_rating: 5,
      work_again: 'maybe',
      improvement_areas: ['punctuality'],
    });
    // Back and submit again: a clear page, nothing more stored.
    await page.goto(`${base}${path}`);
    await page.getByRole('heading', { name: /already recorded/ }).waitFor();
    expect(browser.consoleErrors).toEqual([]);
    expect(browser.failedLoads.filter((f) => !f.includes('/feedback/'))).toEqual([]);
  });
});
