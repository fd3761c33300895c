import { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import { MessageDelivery } from '../src/notifications/message-delivery.service';
import { NotificationLinks } from '../src/notifications/notification-links';
import { NotificationWorkflows } from '../src/notifications/notification-workflows.service';
import { NotificationsService } from '../src/notifications/notifications.service';
import { FieldCipher } from '../src/security/field-cipher';
import { completedSession, iso, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startTestApp, TestApp } from './helpers/test-app';
import { queueOf, waitFor } from './helpers/workers';

/** A real SMTP server whose RCPT answer per address can be scripted (5xx, 4xx). */
async function startScriptedSmtp() {
  const messages: ParsedMail[] = [];
  const rejections = new Map<string, { code: number; times: number }>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const rule = rejections.get(address.address);
      if (rule && rule.times > 0) {
        rule.times--;
        const error = new Error(`scripted ${rule.code}`) as Error & { responseCode: number };
        error.responseCode = rule.code;
        return callback(error);
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    reject: (address: string, code: number, times = Infinity) =>
      rejections.set(address, { code, times }),
    to: (address: string) =>
      messages.filter((m) => (m.to && 'text' in m.to ? m.to.text : '') === address),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Row = Record<string, unknown>;

const unsubscribeHeader = (mail: ParsedMail) =>
  (mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '').replace(
    /^List-Unsubscribe:\s*/i,
    '',
  );

describe('notifications', () => {
  let smtp: Awaited<ReturnType<typeof startScriptedSmtp>>;
  let t: TestApp;
  let notifications: NotificationsService;
  let cipher: FieldCipher;
  let tutorId: string;
  const message = async (id: string): Promise<Row> =>
    (
      (await t.dataSource.query(`SELECT * FROM notification_messages WHERE id = $1`, [id])) as Row[]
    )[0];

  beforeAll(async () => {
    smtp = await startScriptedSmtp();
    t = await startTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://tutormax.test' });
    notifications = t.app.get(NotificationsService);
    cipher = t.app.get(FieldCipher);
    const [tutor] = await ingest(t.http, 'tutors', [tutorItem()]);
    tutorId = tutor.id!;
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const notice = (email: string, entityKey: string) => ({
    workflow: 'test-notice',
    entityKey,
    category: 'staff-notices' as const,
    template: 'notice',
    to: { kind: 'tutor' as const, id: tutorId, email },
    context: {
      title: 'Hello',
      recipientName: 'Sam',
      paragraphs: ['One line.'],
      action: { label: 'Open', url: 'https://tutormax.test/interventions' },
    },
  });

  it('queues, sends through a real SMTP server and logs the message; the address is encrypted at rest', async () => {
    const r = await notifications.notify(notice('sam@example.invalid', 'a1'));
    expect(r).toMatchObject({ created: true, status: 'queued' });
    await waitFor('sent', async () => (await message(r.messageId!)).status === 'sent');
    const [mail] = smtp.to('sam@example.invalid');
    expect(mail.subject).toBe('Hello');
    expect(unsubscribeHeader(mail)).toContain('https://tutormax.test/notifications/unsubscribe/');
    expect(mail.html).toContain(`https://tutormax.test/notifications/open/${r.messageId}.gif`);
    // the app's own link goes through click tracking
    expect(mail.text).toContain(`https://tutormax.test/notifications/click/${r.messageId}?url=`);
    const row = await message(r.messageId!);
    expect(row.recipient_email).toMatch(/^enc1:/);
    expect(String(row.context)).not.toContain('Sam');
    expect(row.attempts).toBe(1);
  });

  it('sends a (workflow, entity) once, even when asked twice', async () => {
    const a = await notifications.notify(notice('once@example.invalid', 'dup'));
    const b = await notifications.notify(notice('once@example.invalid', 'dup'));
    expect(a.created).toBe(true);
    expect(b).toEqual({ messageId: null, created: false, status: 'duplicate' });
    await waitFor('sent', async () => (await message(a.messageId!)).status === 'sent');
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.to('once@example.invalid')).toHaveLength(1);
  });

  it('fails a 5xx at once (bounced, one attempt, no retry)', async () => {
    smtp.reject('gone@example.invalid', 550);
    const r = await notifications.notify(notice('gone@example.invalid', 'bounce'));
    await waitFor('bounced', async () => (await message(r.messageId!)).status === 'bounced');
    const row = await message(r.messageId!);
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(/550/);
    const job = await queueOf(t, 'notifications').getJob(
      `${r.messageId}:notifications.deliver-message`,
    );
    expect(job?.attemptsMade).toBe(1);
    expect(await job?.isFailed()).toBe(true);
  });

  it('retries a transient 4xx with backoff, then sends', async () => {
    smtp.reject('busy@example.invalid', 451, 1);
    const r = await notifications.notify(notice('busy@example.invalid', 'transient'));
    await waitFor('one failed attempt', async () => (await message(r.messageId!)).attempts === 1);
    expect((await message(r.messageId!)).status).toBe('queued');
    await waitFor(
      'sent after retry',
      async () => (await message(r.messageId!)).status === 'sent',
      20_000,
    );
    expect((await message(r.messageId!)).attempts).toBe(2);
    expect(smtp.to('busy@example.invalid')).toHaveLength(1);
  }, 30_000);

  it('honours a signed unsubscribe link and refuses a tampered one', async () => {
    const r = await notifications.notify(notice('quit@example.invalid', 'u1'));
    await waitFor('sent', async () => (await message(r.messageId!)).status === 'sent');
    const link = unsubscribeHeader(smtp.to('quit@example.invalid')[0]).replace(/^<|>$/g, '');
    const path = new URL(link).pathname;
    const token = path.split('/').pop()!;
    const tampered = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA');
    await request(t.http).get(`/notifications/unsubscribe/${tampered}`).expect(400);
    const page = await request(t.http).get(path).expect(200);
    expect(page.text).toContain('You are unsubscribed');
    const again = await notifications.notify(notice('quit@example.invalid', 'u2'));
    expect(again.status).toBe('suppressed');
    expect((await message(again.messageId!)).last_error).toBe(
      'the recipient unsubscribed from staff-notices',
    );
    // other categories still go out
    const other = await notifications.notify({
      ...notice('quit@example.invalid', 'u3'),
      category: 'digest',
    });
    expect(other.status).toBe('queued');
  });

  it('does not send a message queued before its recipient unsubscribed', async () => {
    // A message logged as queued, then the recipient unsubscribes before its delivery job runs.
    const [queued]: { id: string }[] = await t.dataSource.query(
      `INSERT INTO notification_messages
         (workflow, entity_key, category, template, recipient_kind, recipient_id, recipient_email, context)
       VALUES ('test-notice', 'late-unsubscribe', 'staff-notices', 'notice', 'tutor', $1, $2, $3)
       RETURNING id`,
      [tutorId, cipher.encrypt('late@example.invalid'), cipher.encrypt(JSON.stringify({}))],
    );
    await t.dataSource.query(
      `INSERT INTO notification_preferences (recipient_kind, recipient_id, category)
       VALUES ('tutor', $1, 'staff-notices') ON CONFLICT DO NOTHING`,
      [tutorId],
    );
    const result = await t.app.get(MessageDelivery).deliver(queued.id, { lastAttempt: false });
    expect(result).toEqual({ status: 'suppressed' });
    const row = await message(queued.id);
    expect(row).toMatchObject({
      status: 'suppressed',
      attempts: 0,
      last_error: 'the recipient unsubscribed from staff-notices',
    });
    expect(smtp.to('late@example.invalid')).toHaveLength(0);
  });

  it('click redirect follows only the app’s own links and records the click; the pixel is an image', async () => {
    const r = await notifications.notify(notice('clicks@example.invalid', 'c1'));
    const id = r.messageId!;
    for (const foreign of [
      'https://evil.example/phish',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
      'https://tutormax.test.evil.example/',
    ]) {
      await request(t.http).get(`/notifications/click/${id}`).query({ url: foreign }).expect(400);
    }
    await request(t.http).get(`/notifications/click/${id}`).expect(400);
    await request(t.http).get(`/notifications/click/not-a-uuid`).query({ url: '/' }).expect(400);
    expect((await message(id)).click_count).toBe(0);
    const res = await request(t.http)
      .get(`/notifications/click/${id}`)
      .query({ url: 'https://tutormax.test/interventions?x=1' })
      .expect(302);
    expect(res.headers.location).toBe('https://tutormax.test/interventions?x=1');
    await request(t.http)
      .get(`/notifications/click/${id}`)
      .query({ url: '/dashboard' })
      .expect(302);
    expect((await message(id)).click_count).toBe(2);
    const pixel = await request(t.http).get(`/notifications/open/${id}.gif`).expect(200);
    expect(pixel.headers['content-type']).toBe('image/gif');
    expect((pixel.body as Buffer).subarray(0, 6).toString()).toBe('GIF89a');
    expect((await message(id)).opened_at).not.toBeNull();
    await request(t.http).get(`/notifications/open/nope.gif`).expect(400);
  });

  describe('feedback requests', () => {
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    let tutorExt: string;
    let tutorEmail: string;
    beforeAll(async () => {
      const tutor = tutorItem();
      tutorExt = tutor.externalId;
      tutorEmail = tutor.email;
      await ingest(t.http, 'tutors', [tutor]);
    });

    async function sessionFor(student: Record<string, unknown>, startHoursAgo: number) {
      await ingest(t.http, 'students', [student]);
      const s = completedSession(tutorExt, String(student.externalId), {
        scheduledStart: iso(hoursAgo(startHoursAgo)),
        actualStart: iso(hoursAgo(startHoursAgo)),
      });
      const [r] = await ingest(t.http, 'sessions', [s]);
      return r.id!;
    }

    it('reminds a 13+ student once, even when the reminder job runs twice', async () => {
      const sessionId = await sessionFor(studentItem({ email: 'teen@example.invalid' }), 30);
      const queue = queueOf(t, 'notifications');
      const a = await queue.add('feedback-reminders', {}, { jobId: 'rem-1' });
      const b = await queue.add('feedback-reminders', {}, { jobId: 'rem-2' });
      await a.finished();
      await b.finished();
      const rows: Row[] = await t.dataSource.query(
        `SELECT * FROM notification_messages WHERE workflow = 'feedback-reminder' AND entity_key = $1`,
        [sessionId],
      );
      expect(rows).toHaveLength(1);
      await waitFor('sent', async () => (await message(String(rows[0].id))).status === 'sent');
      await new Promise((r) => setTimeout(r, 500));
      const mails = smtp
        .to('teen@example.invalid')
        .filter((m) => m.subject?.startsWith('Reminder'));
      expect(mails).toHaveLength(1);
      const link = /https:\/\/tutormax\.test\/notifications\/click\/[^\s]+/.exec(
        mails[0].text ?? '',
      )![0];
      const target = decodeURIComponent(new URL(link).searchParams.get('url')!);
      expect(target).toMatch(/^https:\/\/tutormax\.test\/feedback\/[\w-]+\.[\w-]+$/);
      const claim = t.app
        .get(NotificationLinks)
        .verifyFeedback(target.split('/').pop()!, new Date());
      expect(claim).toMatchObject({ sessionId, respondent: 'student' });
    });

    it('asks the parent of an under-13 student, never the child', async () => {
      const year = new Date().getUTCFullYear() - 10;
      const sessionId = await sessionFor(
        studentItem({
          birthYear: year,
          parentEmail: 'parent@example.invalid',
        }),
        30,
      );
      const outcome = await t.app.get(NotificationWorkflows).feedbackReminders();
      expect(outcome.queued).toBeGreaterThanOrEqual(1);
      const [row]: Row[] = await t.dataSource.query(
        `SELECT * FROM notification_messages WHERE workflow = 'feedback-reminder' AND entity_key = $1`,
        [sessionId],
      );
      expect(row.recipient_kind).toBe('parent');
      await waitFor('sent', async () => (await message(String(row.id))).status === 'sent');
      // (The parent also gets the COPPA consent request, sent on ingestion.)
      const [mail] = smtp
        .to('parent@example.invalid')
        .filter((m) => /Feedback Request/.test(m.subject ?? ''));
      expect(mail.subject).toMatch(/Feedback Request for .*'s Session/);
      expect(mail.text).toContain('under 13');
    });

    it('sends nothing for an under-13 student whose parent address is gone', async () => {
      const year = new Date().getUTCFullYear() - 9;
      const student = studentItem({ birthYear: year, parentEmail: 'erased@example.invalid' });
      const sessionId = await sessionFor(student, 30);
      await t.dataSource.query(`UPDATE students SET parent_email = NULL WHERE external_id = $1`, [
        student.externalId,
      ]);
      const outcome = await t.app.get(NotificationWorkflows).feedbackReminders();
      expect(outcome['no-address']).toBeGreaterThanOrEqual(1);
      const rows: Row[] = await t.dataSource.query(
        `SELECT 1 FROM notification_messages WHERE entity_key = $1`,
        [sessionId],
      );
      expect(rows).toHaveLength(0);
      expect(
        smtp.to('erased@example.invalid').filter((m) => !/confirm consent/.test(m.subject ?? '')),
      ).toHaveLength(0);
    });

    it('checks in with the tutor once after a first session, naming the student by first name', async () => {
      const sessionId = await sessionFor(studentItem({ name: 'Priya Raman' }), 4);
      const workflows = t.app.get(NotificationWorkflows);
      const first = await workflows.firstSessionCheckins();
      expect(first.queued).toBeGreaterThanOrEqual(1);
      expect(await workflows.firstSessionCheckins()).not.toHaveProperty('queued');
      const [row]: Row[] = await t.dataSource.query(
        `SELECT * FROM notification_messages WHERE workflow = 'first-session-checkin' AND entity_key = $1`,
        [sessionId],
      );
      expect(row.recipient_kind).toBe('tutor');
      await waitFor('sent', async () => (await message(String(row.id))).status === 'sent');
      const mails = smtp.to(tutorEmail).filter((m) => /First Session/.test(m.subject ?? ''));
      expect(mails.map((m) => m.subject)).toEqual(['How Did Your First Session Go with Priya?']);
    });

    it('invites feedback when a completed session is recorded', async () => {
      const sessionId = await sessionFor(studentItem({ email: 'fresh@example.invalid' }), 3);
      await waitFor('invitation', async () => {
        const rows: Row[] = await t.dataSource.query(
          `SELECT status FROM notification_messages WHERE workflow = 'feedback-invitation' AND entity_key = $1`,
          [sessionId],
        );
        return rows[0]?.status === 'sent';
      });
      expect(smtp.to('fresh@example.invalid')[0].subject).toMatch(
        /^Share Your Feedback - Session with /,
      );
    });
  });
});
