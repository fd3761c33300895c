import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { runErasureReplay } from '../src/cli/erasure-replay';
import { NotificationLinks } from '../src/notifications/notification-links';
import { FieldCipher } from '../src/security/field-cipher';
import { WITHHELD_STUDENT_NAME } from '../src/tutoring/personal-data';
import { apiSignIn, browserSignIn, createUser, csrfFrom } from './helpers/auth';
import { completedSession, feedbackItem, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startSmtpSink, SmtpSink } from './helpers/smtp-sink';
import { startTestApp, TEST_API_KEY, TestApp } from './helpers/test-app';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { waitForIdle } from './helpers/workers';

describe('COPPA: verified parental consent through emailed single-use links', () => {
  let smtp: SmtpSink;
  let t: TestApp;
  let cipher: FieldCipher;
  let adminToken: string;
  const PARENT = 'guardian.of.pip@example.invalid';
  const year = new Date().getUTCFullYear();
  const child = studentItem({
    name: 'Pip Fairweather',
    birthYear: year - 9,
    birthMonth: 3,
    gradeLevel: '4',
    parentEmail: PARENT,
  });
  const tutor = tutorItem();
  const session = completedSession(tutor.externalId, child.externalId);
  let studentId: string;
  let sessionId: string;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://tutormax.test' });
    cipher = t.app.get(FieldCipher);
    await ingest(t.http, 'tutors', [tutor]);
    [{ id: studentId }] = (await ingest(t.http, 'students', [child])) as { id: string }[];
    [{ id: sessionId }] = (await ingest(t.http, 'sessions', [session])) as { id: string }[];
    const admin = await createUser(t, ['admin']);
    adminToken = (await apiSignIn(t, admin.email, admin.password, '198.18.11.1')).accessToken;
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const mailsTo = (to: string, subject: RegExp) =>
    smtp.messages.filter(
      (m) => m.to && JSON.stringify(m.to).includes(to) && subject.test(m.subject ?? ''),
    );

  /** The n-th email to the parent with this subject; the link inside it (click tracking unwrapped). */
  async function linkFrom(subject: RegExp, count: number, to = PARENT): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const mails = mailsTo(to, subject);
      if (mails.length >= count) {
        const text = mails[count - 1].text ?? '';
        const url = /https:\/\/tutormax\.test\/\S+/.exec(text)![0];
        const target = url.includes('/notifications/click/')
          ? decodeURIComponent(new URL(url).searchParams.get('url')!)
          : url;
        return new URL(target).pathname;
      }
      if (Date.now() > deadline) throw new Error(`no email "${subject}" #${count} to ${to}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const feedbackStatus = async () => {
    const url = t.app.get(NotificationLinks).feedbackUrl(sessionId, 'parent', new Date());
    return (await request(t.http).get(url.slice(url.indexOf('/feedback/')))).status;
  };

  const studentRow = async (id: string) =>
    (
      await t.dataSource.query(
        'SELECT name, parent_email, parent_consent_status, grade_level, external_id FROM students WHERE id = $1',
        [id],
      )
    )[0] as {
      name: string;
      parent_email: string | null;
      parent_consent_status: string;
      grade_level: string | null;
      external_id: string;
    };

  /**
   * Every text, varchar, array and jsonb value of every table, encrypted values
   * decrypted: where `needle` (any case) occurs.
   */
  async function scan(needle: string): Promise<string[]> {
    const columns: { table_name: string; column_name: string }[] = await t.dataSource.query(
      `SELECT c.table_name, c.column_name FROM information_schema.columns c
         JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
        WHERE c.table_schema = 'public' AND tb.table_type = 'BASE TABLE'
          AND c.data_type IN ('text', 'character varying', 'jsonb', 'ARRAY')`,
    );
    const low = needle.toLowerCase();
    const hits: string[] = [];
    for (const { table_name: table, column_name: column } of columns) {
      const rows: { v: string | null }[] = await t.dataSource.query(
        `SELECT "${column}"::text AS v FROM "${table}" WHERE "${column}" IS NOT NULL`,
      );
      for (const { v } of rows) {
        const plain = v!.startsWith('enc1:') ? cipher.decrypt(v!) : v!;
        if (plain.toLowerCase().includes(low)) hits.push(`${table}.${column}`);
      }
    }
    return hits;
  }

  it('emails the parent a consent link when the child is ingested, once, and stores no name before consent', async () => {
    const consentPath = await linkFrom(/confirm consent/, 1);
    expect(consentPath).toMatch(/^\/parents\/[\w-]{43}$/);
    const [mail] = mailsTo(PARENT, /confirm consent/);
    // The email names the child by grade and birth month only.
    expect(mail.subject).toBe(
      `Please confirm consent for your child (grade 4, born March ${year - 9}) on TutorMax`,
    );
    expect(`${mail.subject} ${mail.text}`).not.toMatch(/Pip|Fairweather/);
    // The token is stored hashed: not in the database.
    const token = consentPath.split('/').pop()!;
    const stored = await t.dataSource.query('SELECT token_hash FROM parent_link_tokens');
    expect(JSON.stringify(stored)).not.toContain(token);

    const row = await studentRow(studentId);
    expect(cipher.decrypt(row.name)).toBe(WITHHELD_STUDENT_NAME);
    expect(row.parent_email).toMatch(/^enc1:/);
    expect(cipher.decrypt(row.parent_email!)).toBe(PARENT);
    expect(row).toMatchObject({ parent_consent_status: 'pending', grade_level: '4' });
    await waitForIdle(t);
    expect(await scan('Fairweather')).toEqual([]);

    // Re-ingesting the child (unchanged, then with a new grade) sends nothing more.
    const again = await request(t.http)
      .post('/api/v1/students')
      .set('X-API-Key', TEST_API_KEY)
      .send({ items: [child] })
      .expect(200);
    expect(again.body.summary.unchanged).toBe(1);
    const [changed] = await ingest(t.http, 'students', [{ ...child, gradeLevel: '5' }]);
    expect(changed.status).toBe('updated');
    await waitForIdle(t);
    expect(mailsTo(PARENT, /confirm consent/)).toHaveLength(1);
    expect(cipher.decrypt((await studentRow(studentId)).name)).toBe(WITHHELD_STUDENT_NAME);
    expect(await scan('Fairweather')).toEqual([]);
    const requested = await t.dataSource.query(
      `SELECT details FROM audit_log WHERE action = 'coppa.consent_requested' AND resource_id = $1`,
      [studentId],
    );
    expect(requested).toEqual([{ details: { automatic: true } }]);

    // The child's feedback is refused on the form and through ingestion.
    expect(await feedbackStatus()).toBe(403);
    const fb = await request(t.http)
      .post('/api/v1/feedback')
      .set('X-API-Key', TEST_API_KEY)
      .send({ items: [feedbackItem(session.externalId)] })
      .expect(200);
    expect(fb.body.results[0].status).toBe('rejected');
    expect(fb.body.results[0].errors[0].message).toMatch(
      /under 13 without verified parental consent/,
    );
    // The child has no address of their own; the parent got the consent request only.
    expect(mailsTo(PARENT, /./).map((m) => m.subject)).toEqual([mail.subject]);
  });

  it('a child without a parent email is kept with the minimal set and listed for staff', async () => {
    const orphan = studentItem({
      name: 'Quill Nobodyknows',
      birthYear: year - 10,
      gradeLevel: '5',
    });
    const [{ id }] = (await ingest(t.http, 'students', [orphan])) as { id: string }[];
    await waitForIdle(t);
    const row = await studentRow(id);
    expect(cipher.decrypt(row.name)).toBe(WITHHELD_STUDENT_NAME);
    expect(row).toMatchObject({ parent_email: null, parent_consent_status: 'pending' });
    expect(await scan('Nobodyknows')).toEqual([]);
    const list = await request(t.http)
      .get('/api/v1/compliance/coppa/children?state=awaiting_parent_contact')
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        id,
        externalId: orphan.externalId,
        state: 'awaiting_parent_contact',
        consentRequestedAt: null,
      }),
    ]);
    await request(t.http)
      .get('/api/v1/compliance/coppa/children?state=nonsense')
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(400);
    const admin = await createUser(t, ['admin']);
    const browser = await browserSignIn(t, admin.email, admin.password, '198.51.100.41');
    const page = await browser.agent.get('/compliance/coppa').expect(200);
    expect(page.text).toContain('Awaiting a parent contact (1)');
    expect(page.text).toContain(orphan.externalId);
    // The parent email arrives later: the consent email goes out then.
    const PARENT2 = 'late.parent@example.invalid';
    await ingest(t.http, 'students', [{ ...orphan, parentEmail: PARENT2 }]);
    await linkFrom(/confirm consent/, 1, PARENT2);
    const ops = await createUser(t, ['operations_manager']);
    const opsToken = (await apiSignIn(t, ops.email, ops.password, '198.18.11.2')).accessToken;
    await request(t.http)
      .get('/api/v1/compliance/coppa/children')
      .set('Authorization', `Bearer ${opsToken}`)
      .expect(403);
  });

  it('the parent consents through the link; the next ingestion then stores the name', async () => {
    const consentPath = await linkFrom(/confirm consent/, 1);
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
    expect(cipher.decrypt(consent.ip_enc)).toBe('203.0.113.77');
    expect((await studentRow(studentId)).parent_consent_status).toBe('granted');
    expect(await feedbackStatus()).toBe(200);
    // Nothing was kept to fill in later: the name comes with the next ingestion.
    expect(cipher.decrypt((await studentRow(studentId)).name)).toBe(WITHHELD_STUDENT_NAME);
    expect(await scan('Fairweather')).toEqual([]);
    const [stored] = await ingest(t.http, 'students', [{ ...child, gradeLevel: '5' }]);
    expect(stored.status).toBe('updated');
    expect(cipher.decrypt((await studentRow(studentId)).name)).toBe('Pip Fairweather');

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
    const s = await studentRow(studentId);
    expect(cipher.decrypt(s.name)).toBe('Erased student');
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

  it('a deletion request from the parent erases the child, writes the erasure ledger, and a restore replays it', async () => {
    const other = studentItem({
      name: 'Wren Oakhollow',
      birthYear: year - 8,
      birthMonth: 7,
      gradeLevel: '3',
      parentEmail: PARENT,
    });
    const [{ id }] = (await ingest(t.http, 'students', [other])) as { id: string }[];
    const wren = /confirm consent for your child \(grade 3/;
    const first = await linkFrom(wren, 1);
    // Staff can send a new link; the earlier one stops working.
    await request(t.http)
      .post(`/api/v1/compliance/coppa/students/${id}/consent-request`)
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(201);
    const consentPath = await linkFrom(wren, 2);
    expect((await request(t.http).get(first)).status).toBe(410);
    const agent = request.agent(t.http);
    const page = await agent.get(consentPath).expect(200);
    await agent
      .post(`${consentPath}/consent`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), agree: 'yes', signature: 'Robin Fairweather' })
      .expect(200);
    await ingest(t.http, 'students', [{ ...other, gradeLevel: '4' }]);
    expect(cipher.decrypt((await studentRow(id)).name)).toBe('Wren Oakhollow');
    // Sent at consent, before the name arrived: the child is described, not named.
    const managePath = await linkFrom(/Manage the data of your child \(grade 3/, 1);
    const manage = await agent.get(managePath).expect(200);

    // The nightly backup, taken before the deletion.
    const dir = mkdtempSync(join(tmpdir(), 'tm-coppa-'));
    const dump = join(dir, 'backup.dump');
    execFileSync('pg_dump', ['-Fc', '-f', dump, t.database.url]);

    await agent
      .post(`${managePath}/delete`)
      .type('form')
      .send({ _csrf: csrfFrom(manage.text) })
      .expect(200);
    const s = await studentRow(id);
    expect(cipher.decrypt(s.name)).toBe('Erased student');
    expect(s.external_id).toBe(`erased-${id}`);
    const ledger = await t.dataSource.query(
      'SELECT seq, request_id, subject_user_id, tutor_id, student_id FROM erasure_ledger',
    );
    expect(ledger).toEqual([
      {
        seq: expect.any(String),
        request_id: null,
        subject_user_id: null,
        tutor_id: null,
        student_id: id,
      },
    ]);
    const lines = readFileSync(t.config.erasureLedgerFile, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1])).toMatchObject({
      studentId: id,
      subjectUserId: null,
    });
    const [done] = await t.dataSource.query(
      `SELECT details FROM audit_log WHERE action = 'coppa.deletion_completed' AND resource_id = $1`,
      [id],
    );
    expect(done.details.ledgerSeq).toBe(ledger[0].seq);

    // Disaster: the backup is restored; the replay erases Wren again.
    let restored: TestDatabase | undefined;
    let db: DataSource | undefined;
    try {
      restored = await createTestDatabase();
      execFileSync('pg_restore', ['--no-owner', '-d', restored.url, dump]);
      db = await new DataSource({ type: 'postgres', url: restored.url }).initialize();
      const nameIn = async () =>
        cipher.decrypt((await db!.query('SELECT name FROM students WHERE id = $1', [id]))[0].name);
      expect(await nameIn()).toBe('Wren Oakhollow');
      const out: string[] = [];
      const io = { log: (l: string) => out.push(l), error: (l: string) => out.push(`ERR ${l}`) };
      const code = await runErasureReplay(
        ['--database-url', restored.url, '--ledger', t.config.erasureLedgerFile],
        { NODE_ENV: 'test' },
        io,
      );
      expect(out.filter((l) => l.startsWith('ERR'))).toEqual([]);
      expect(code).toBe(0);
      expect(out.join('\n')).toMatch(/1 erasures replayed .*1 added back to the table/);
      expect(await nameIn()).toBe('Erased student');
      expect(await db.query('SELECT subject_user_id, student_id FROM erasure_ledger')).toEqual([
        { subject_user_id: null, student_id: id },
      ]);
    } finally {
      await db?.destroy();
      await restored?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
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
