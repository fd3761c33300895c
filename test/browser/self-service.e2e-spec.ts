import { mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Page } from 'playwright-core';
import { openPhoneBrowser, PhoneBrowser } from '../helpers/browser';
import {
  createIntervention,
  managerToken,
  seedSessionWithFeedback,
  seedSnapshot,
  seedStudent,
  seedTier,
  seedTutor,
  SeededStudent,
  SeededTutor,
  waitForIdle,
} from '../helpers/self-service';
import { startTestApp, TestApp } from '../helpers/test-app';

const ARTIFACTS = join(__dirname, 'artifacts');
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

describe('browser: a tutor and a student on their own pages at 390 px', () => {
  let t: TestApp;
  let browser: PhoneBrowser;
  let page: Page;
  let base: string;
  let tutor: SeededTutor;
  let student: SeededStudent;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    tutor = await seedTutor(t, { name: 'Grace Hopper' });
    student = await seedStudent(t, { name: 'Alex Learner' });
    await seedSessionWithFeedback(t, tutor, student, 8, {
      overallRating: 5,
      freeText: 'Alex loved the examples.',
      workAgain: 'yes',
    });
    await seedSessionWithFeedback(t, tutor, student, 2, { overallRating: 4, freeText: 'Good.' });
    await waitForIdle(t);
    for (const w of [7, 30, 90]) await seedSnapshot(t, tutor.id, w, { avgRating: 3.8 });
    for (let d = 1; d <= 12; d++)
      await seedSnapshot(
        t,
        tutor.id,
        30,
        { avgRating: 3.5 + d * 0.03, engagementScore: 60 + d },
        d * 5,
      );
    await seedTier(t, tutor.id, 'Developing', 21);
    const manager = await managerToken(t);
    await createIntervention(t, manager, tutor.id, 'peer_mentoring', 'Internal reason never shown');

    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await openPhoneBrowser();
    page = browser.page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  const signIn = async (email: string, password: string) => {
    await page.goto(`${base}/login`);
    await page.fill('#email', email);
    await page.fill('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  };
  const fitsWidth = async () =>
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);

  it('a tutor lands on their performance page, sets a goal, starts training and acknowledges coaching', async () => {
    await signIn(tutor.email, tutor.password);
    expect(page.url()).toBe(`${base}/me`);
    expect(await page.textContent('h1')).toBe('My performance');
    expect(await page.textContent('#tier')).toBe('Developing');
    expect(await page.textContent('#tier-held')).toContain('21 days');
    expect(await page.locator('svg.me-chart polyline.me-trend').count()).toBeGreaterThanOrEqual(6);
    expect(await page.textContent('#m-avgRating')).toContain('On track');
    expect(await page.locator('#peers-hidden').count()).toBe(1);
    await fitsWidth();
    await page.screenshot({ path: join(ARTIFACTS, 'self-service-tutor.png'), fullPage: true });

    await Promise.all([
      page.waitForURL(`${base}/me/feedback`),
      page.click('.me-tabs >> text=Feedback'),
    ]);
    const feedback = await page.textContent('#feedback-list');
    expect(feedback).toContain('[student] loved the examples.');
    expect(feedback).not.toContain('Alex');
    await fitsWidth();

    await Promise.all([
      page.waitForURL(`${base}/me/growth`),
      page.click('.me-tabs >> text=Goals & training'),
    ]);
    await page.selectOption('#goal-type', 'rating_improvement');
    await page.fill('#goal-target', '4.5');
    await page.fill('#goal-due', inDays(30));
    await Promise.all([
      page.waitForURL(`${base}/me/growth`),
      page.click('form.me-form button[type=submit]'),
    ]);
    expect(await page.textContent('#goals')).toContain('Raise my average rating');
    expect(await page.textContent('#goals')).toContain('Target 4.50');
    const first = page.locator('#training li').first();
    expect(await first.textContent()).toContain('Recommended');
    await Promise.all([
      page.waitForLoadState('load'),
      first.locator('button[value=in_progress]').click(),
    ]);
    expect(await page.locator('#training li').first().textContent()).toContain('In progress');
    await fitsWidth();
    await page.screenshot({ path: join(ARTIFACTS, 'self-service-growth.png'), fullPage: true });

    await Promise.all([page.waitForURL(`${base}/me/inbox`), page.click('.me-tabs >> text=Inbox')]);
    expect(await page.textContent('#support')).toContain('Peer mentoring');
    expect(await page.content()).not.toContain('Internal reason never shown');
    await Promise.all([page.waitForLoadState('load'), page.click('#support button[type=submit]')]);
    expect(await page.textContent('#support')).toContain('You acknowledged this');
    expect(await page.getAttribute('#h-privacy + p a', 'href')).toBe('/privacy');
    await fitsWidth();
    await page.screenshot({ path: join(ARTIFACTS, 'self-service-inbox.png'), fullPage: true });

    await Promise.all([page.waitForURL(/\/login/), page.click('form.signout button[type=submit]')]);
  });

  it('a student lands on their sessions and feedback with privacy links', async () => {
    await signIn(student.email, student.password);
    expect(page.url()).toBe(`${base}/me`);
    expect(await page.textContent('h1')).toBe('My sessions');
    expect(await page.locator('#sessions li').count()).toBe(2);
    expect(await page.textContent('#sessions')).toContain('Grace Hopper');
    expect(await page.textContent('#my-feedback')).toContain('Alex loved the examples.');
    expect(await page.locator('#privacy-links a[href="/privacy"]').count()).toBe(3);
    await fitsWidth();
    await page.screenshot({ path: join(ARTIFACTS, 'self-service-student.png'), fullPage: true });
    expect(browser.consoleErrors).toEqual([]);
    expect(browser.failedLoads).toEqual([]);
  });
});
