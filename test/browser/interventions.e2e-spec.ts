import { mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Page } from 'playwright-core';
import request from 'supertest';
import { openPhoneBrowser, PhoneBrowser } from '../helpers/browser';
import { apiSignIn, createUser } from '../helpers/auth';
import { tutorItem } from '../helpers/fixtures';
import { ingest } from '../helpers/ingest';
import { startTestApp, TestApp } from '../helpers/test-app';

const ARTIFACTS = join(__dirname, 'artifacts');

describe('browser: a manager works the intervention queue', () => {
  let t: TestApp;
  let browser: PhoneBrowser;
  let page: Page;
  let base: string;
  let manager: { email: string; password: string };
  let ops: { id: string; fullName: string };
  let ivId: string;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    const [tutor] = await ingest(t.http, 'tutors', [tutorItem({ name: 'Ada Tutor' })]);
    const m = await createUser(t, ['operations_manager'], { fullName: 'Maya Manager' });
    manager = { email: m.email, password: m.password };
    const o = await createUser(t, ['people_ops'], { fullName: 'Pat People' });
    ops = { id: o.id, fullName: o.fullName };
    const { accessToken } = await apiSignIn(t, m.email, m.password);
    for (const [type, priority] of [
      ['retention_interview', 'critical'],
      ['peer_mentoring', 'medium'],
    ])
      await request(t.http)
        .post('/api/v1/interventions')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ tutorId: tutor.id, type, priority, reason: `Seeded ${type}` })
        .expect(201);
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await openPhoneBrowser();
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  it('signs in, filters, opens, assigns, starts, waits and records an outcome', async () => {
    await page.goto(`${base}/login`);
    await page.fill('#email', manager.email);
    await page.fill('#password', manager.password);
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    expect(page.url()).toBe(`${base}/`); // staff start on the dashboard
    expect(await page.textContent('h1')).toBe('Dashboard');

    await page.goto(`${base}/interventions`);
    await page.selectOption('#f-priority', 'critical');
    await Promise.all([
      page.waitForURL(/priority=critical/),
      page.click('form.filters button[type=submit]'),
    ]);
    const rows = page.locator('table.queue tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('Retention interview');
    await page.screenshot({ path: join(ARTIFACTS, 'queue.png'), fullPage: true });

    await Promise.all([
      page.waitForURL(/\/interventions\/[0-9a-f-]{36}$/),
      page.click('table.queue tbody a[href^="/interventions/"]'),
    ]);
    ivId = page.url().split('/').pop()!;
    expect(await page.textContent('#current-status')).toBe('Open');

    await page.selectOption('#assigneeId', ops.id);
    await Promise.all([
      page.waitForLoadState('load'),
      page.click('section[aria-labelledby=h-assign] button[type=submit]'),
    ]);
    expect(await page.textContent('#assignee')).toContain('Pat People');
    expect(await page.textContent('#current-status')).toBe('Assigned');

    await Promise.all([
      page.waitForLoadState('load'),
      page.click('button[name=to][value=in_progress]'),
    ]);
    expect(await page.textContent('#current-status')).toBe('In progress');
    await page.fill('#move-note', 'Left a voicemail');
    await Promise.all([
      page.waitForLoadState('load'),
      page.click('button[name=to][value=waiting]'),
    ]);
    expect(await page.textContent('#current-status')).toBe('Waiting on tutor');
    expect(await page.locator('.target .sla-paused').count()).toBeGreaterThan(0);

    await page.check('input[name=outcome][value=improved]');
    await page.fill('#outcome-note', 'Tutor is staying');
    await Promise.all([
      page.waitForLoadState('load'),
      page.click('section[aria-labelledby=h-outcome] button[type=submit]'),
    ]);
    expect(await page.textContent('#current-status')).toBe('Completed');
    const timeline = await page.textContent('.timeline');
    expect(timeline).toContain('Waiting on tutor → Completed');
    expect(timeline).toContain('Left a voicemail');
    await page.screenshot({ path: join(ARTIFACTS, 'detail.png'), fullPage: true });

    const saved = await t.dataSource.query(
      'SELECT status, outcome FROM interventions WHERE id = $1',
      [ivId],
    );
    expect(saved[0]).toEqual({ status: 'completed', outcome: 'improved' });

    // The other one: raise its priority from its page (no JavaScript needed).
    await page.goto(`${base}/interventions?type=peer_mentoring`);
    await Promise.all([
      page.waitForURL(/\/interventions\/[0-9a-f-]{36}$/),
      page.click('table.queue tbody a[href^="/interventions/"]'),
    ]);
    await page.selectOption('#priority', 'high');
    await page.fill('#priority-note', 'Second complaint this week');
    await Promise.all([
      page.waitForLoadState('load'),
      page.click('section[aria-labelledby=h-priority] button[type=submit]'),
    ]);
    expect(await page.textContent('.timeline')).toContain(
      'priority medium → high: Second complaint this week',
    );

    // A manager note about the tutor, from the tutor page.
    await page.goto(`${base}/tutors`);
    await Promise.all([
      page.waitForURL(/\/tutors\/[0-9a-f-]{36}$/),
      page.click('table a:text("Ada Tutor")'),
    ]);
    await page.fill('#mnote-body', 'Prefers morning calls');
    await Promise.all([
      page.waitForLoadState('load'),
      page.click('section[aria-labelledby=h-mnotes] button[type=submit]'),
    ]);
    expect(await page.textContent('section[aria-labelledby=h-mnotes]')).toContain(
      'Prefers morning calls',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'tutor.png'), fullPage: true });

    // Usable at 390 px: nothing wider than the viewport except inside scrolling tables.
    for (const path of [
      '/tutors',
      page.url().replace(base, '').split('#')[0],
      '/dashboard',
      '/interventions',
      `/interventions/${ivId}`,
    ]) {
      const res = await page.goto(`${base}${path}`);
      expect(res?.status()).toBe(200);
      const overflow = Number(await page.evaluate('document.documentElement.scrollWidth'));
      expect({ path, fits: overflow <= 390 }).toEqual({ path, fits: true });
    }
    expect(browser.consoleErrors).toEqual([]);
    expect(browser.failedLoads).toEqual([]);
  });
});
