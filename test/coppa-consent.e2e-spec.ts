import request from 'supertest';
import { FieldCipher } from '../src/security/field-cipher';
import { apiSignIn, createUser, csrfFrom } from './helpers/auth';
import { completedSession, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startSmtpSink, SmtpSink } from './helpers/smtp-sink';
import { startTestApp, TestApp } from './helpers/test-app';
import { NotificationLinks } from '../src/notifications/notification-links';

describe('COPPA: verified parental consent through emailed single-use links', () => {
  let smtp: SmtpSink;
  let t: TestApp;
  let adminToken: string;
  const PARENT = 'guardian.of.pip@example.invalid';
  const child = studentItem({
    name: 'Pip Fairweather',
    birthYear: new Date().getUTCFullYear() - 9,
    parentEmail: PARENT,
  });
  let studentId: string;
  let sessionId: string;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://tutormax.test' });
    const tutor = tutorItem();
    await ingest(t.http, 'tutors', [tutor]);
    [{ id: studentId }] = (await ingest(t.http, 'students', [child])) as { id: string }[];
    [{ id: sessionId }] = (await ingest(t.http, 'sessions', [
      completedSession(tutor.externalId, child.externalId),
    ])) as { id: string }[];
    const admin = await createUser(t, ['admin']);
    adminToken = (await apiSignIn(t, admin.email, admin.password, '198.18.11.1')).accessToken;
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  /** The n-th email to the parent with this subject; the link inside it (click tracking unwrapped). */
  async function linkFrom(subject: RegExp, count: number): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const mails = smtp.messages.filter(
        (m) => m.to && JSON.stringify(m.to).includes(PARENT) && subject.test(m.subject ?? ''),
      );
      if (mails.length >= count) {
        const text = mails[count - 1].text ?? '';
        const url = /https:\/\/tutormax\.test\/\S+/.exec(text)![0];
        const target = url.includes('/notifications/click/')
          ? decodeURIComponent(new URL(url).searchParams.get('url')!)
          : url;
        return new URL(target).pathname;
      }
      if (Date.now() > deadline) throw new Error(`no email "${subject}" #${count} to the parent`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const feedbackStatus = async () => {
    const url = t.app.get(NotificationLinks).feedbackUrl(sessionId, 'parent', new Date());
    return (await request(t.http).get(url.slice(url.indexOf('/feedback/')))).status;
  };

  it('blocks the child’s feedback until a parent consents, then records the consent as evidence', async () => {
    const [before] = await t.dataSource.query(
      'SELECT parent_consent_status FROM students WHERE id = $1',
      [studentId],
    );
    expect(before.parent_consent_status).toBe('pending');
    expect(await feedbackStatus()).toBe(403);

    await request(t.http)
      .post(`/api/v1/compliance/coppa/students/${studentId}/consent-request`)
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(201);
    const consentPath = await linkFrom(/confirm consent/, 1);
    expect(consentPath).toMatch(/^\/parents\/[\w-]{43}$/);
    // The token is stored hashed: not in the database.
    const token = consentPath.split('/').pop()!;
    const stored = await t.dataSource.query('SELECT token_hash FROM parent_link_tokens');
    expect(JSON.stringify(stored)).not.toContain(token);

    const agent = request.agent(t.http);
    const page = await agent.get(consentPath).expect(200);
    expect(page.text).toContain('Parental consent');
    const noTick = await agent
      .post(`${consentPath}/consent`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), signature: 'Robin Fairweather' });
    expect(noTick.status).toBe(400);
    const ok = await agent
      .post(`${consentPath}/consent`)
      .set('X-Forwarded-For', '203.0.113.77')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), agree: 'yes', signature: 'Robin Fairweather' });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('consent is recorded');

    const [consent] = await t.dataSource.query(
      'SELECT * FROM parental_consents WHERE student_id = $1',
      [studentId],
    );
    expect(consent).toMatchObject({ status: 'granted', method: 'email-link-signed-form' });
    expect(consent.evidence_ref).toMatch(/^signed-form:[0-9a-f]{64}$/);
    expect(t.app.get(FieldCipher).decrypt(consent.ip_enc)).toBe('203.0.113.77');
    const [after] = await t.dataSource.query(
      'SELECT parent_consent_status FROM students WHERE id = $1',
      [studentId],
    );
    expect(after.parent_consent_status).toBe('granted');
    expect(await feedbackStatus()).toBe(200);

    // The consent link was single-use.
    const reuse = await request(t.http).get(consentPath);
    expect(reuse.status).toBe(410);
    expect(reuse.text).toContain('used or has expired');
  });

  it('the parent reviews and downloads through the manage link; each action uses a link once', async () => {
    const managePath = await linkFrom(/Manage/, 1);
    const agent = request.agent(t.http);
    const page = await agent.get(managePath).expect(200);
    expect(page.text).toContain('Pip Fairweather');
    const disclosures = await t.dataSource.query(
      `SELECT basis FROM ferpa_disclosures WHERE student_id = $1 AND recipient = 'parent'`,
      [studentId],
    );
    expect(disclosures[0].basis).toBe('parent_consent');
    const download = await agent
      .post(`${managePath}/download`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(200);
    expect(download.headers['content-disposition']).toMatch(/attachment/);
    expect(JSON.parse(download.text).student.name).toBe('Pip Fairweather');
    expect((await request(t.http).get(managePath)).status).toBe(410);
    const next = await linkFrom(/Manage/, 2);
    expect(next).not.toBe(managePath);
    expect((await request(t.http).get(next)).status).toBe(200);
  });

  it('revoking consent anonymises the child and closes the feedback form again', async () => {
    const managePath = await linkFrom(/Manage/, 2);
    const agent = request.agent(t.http);
    const page = await agent.get(managePath).expect(200);
    const res = await agent
      .post(`${managePath}/revoke`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) });
    expect(res.status).toBe(200);
    const [s] = await t.dataSource.query(
      'SELECT name, parent_email, parent_consent_status FROM students WHERE id = $1',
      [studentId],
    );
    expect(t.app.get(FieldCipher).decrypt(s.name)).toBe('Erased student');
    expect(s.parent_email).toBeNull();
    expect(s.parent_consent_status).toBe('revoked');
    const [c] = await t.dataSource.query(
      'SELECT status, revoked_at FROM parental_consents WHERE student_id = $1',
      [studentId],
    );
    expect(c.status).toBe('revoked');
    expect(c.revoked_at).not.toBeNull();
    expect(await feedbackStatus()).toBe(403);
    const audit = await t.dataSource.query(
      `SELECT action FROM audit_log WHERE resource_id = $1 AND action LIKE 'coppa.%' ORDER BY seq`,
      [studentId],
    );
    expect(audit.map((a: { action: string }) => a.action)).toEqual([
      'coppa.consent_requested',
      'coppa.consent_granted',
      'coppa.parent_download',
      'coppa.consent_revoked',
    ]);
  });

  it('a deletion request from the parent erases the child’s data', async () => {
    const other = studentItem({
      name: 'Wren Oakhollow',
      birthYear: new Date().getUTCFullYear() - 8,
      parentEmail: PARENT,
    });
    const [{ id }] = (await ingest(t.http, 'students', [other])) as { id: string }[];
    await request(t.http)
      .post(`/api/v1/compliance/coppa/students/${id}/consent-request`)
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(201);
    const consentPath = await linkFrom(/confirm consent for Wren/, 1);
    const agent = request.agent(t.http);
    const page = await agent.get(consentPath).expect(200);
    await agent
      .post(`${consentPath}/consent`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), agree: 'yes', signature: 'Robin Fairweather' })
      .expect(200);
    const managePath = await linkFrom(/Manage Wren/, 1);
    const manage = await agent.get(managePath).expect(200);
    await agent
      .post(`${managePath}/delete`)
      .type('form')
      .send({ _csrf: csrfFrom(manage.text) })
      .expect(200);
    const [s] = await t.dataSource.query('SELECT name, external_id FROM students WHERE id = $1', [
      id,
    ]);
    expect(t.app.get(FieldCipher).decrypt(s.name)).toBe('Erased student');
    expect(s.external_id).toBe(`erased-${id}`);
  });

  it('an over-13 student needs no parental consent', async () => {
    const teen = studentItem({ email: 'teen.x@example.invalid' });
    const [{ id }] = (await ingest(t.http, 'students', [teen])) as { id: string }[];
    const res = await request(t.http)
      .post(`/api/v1/compliance/coppa/students/${id}/consent-request`)
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(409);
    expect(res.body.message).toMatch(/COPPA consent does not apply/);
  });
});
