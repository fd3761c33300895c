import { readdirSync, readFileSync } from 'node:fs';
import { MailService } from '../src/notifications/mail.service';
import { startSmtpSink, SmtpSink } from './helpers/smtp-sink';
import { startTestApp, TestApp } from './helpers/test-app';

const notice = {
  title: 'Coaching call booked: Q&A',
  recipientName: 'Sarah <Ops>',
  paragraphs: ['Your call with Emily is on Monday.', 'Bring the last 30 days of metrics.'],
  action: { label: 'Open the queue', url: 'http://localhost:3000/interventions' },
};

describe('email transport', () => {
  describe('over SMTP', () => {
    let sink: SmtpSink;
    let t: TestApp;
    beforeAll(async () => {
      sink = await startSmtpSink();
      t = await startTestApp({ SMTP_URL: sink.url, MAIL_FROM: 'TutorMax <ops@tutormax.invalid>' });
    });
    afterAll(async () => {
      await t.close();
      await sink.close();
    });

    it('delivers a templated message with HTML and text parts to a real SMTP server', async () => {
      await t.app
        .get(MailService)
        .send({ to: 'sarah@example.invalid', template: 'notice', context: notice });
      const [mail] = await sink.waitFor(1);
      expect(mail.subject).toBe('Coaching call booked: Q&A');
      expect(mail.from?.value[0]).toEqual({ name: 'TutorMax', address: 'ops@tutormax.invalid' });
      expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('sarah@example.invalid');
      expect(mail.text).toContain('Hello Sarah <Ops>,');
      expect(mail.text).toContain('Open the queue: http://localhost:3000/interventions');
      // HTML is escaped and wrapped in the shared layout
      expect(mail.html).toContain('Hello Sarah &lt;Ops&gt;,');
      expect(mail.html).toContain('<title>Coaching call booked: Q&amp;A</title>');
      expect(mail.html).toContain('href="http://localhost:3000/interventions"');
    });

    it('refuses to render a template with a missing variable (strict mode)', async () => {
      await expect(
        t.app
          .get(MailService)
          .send({ to: 'x@example.invalid', template: 'notice', context: { title: 'x' } }),
      ).rejects.toThrow(/recipientName/);
    });
  });

  describe('without SMTP outside production', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.close());

    it('writes each message as an .eml file under DATA_DIR/mail', async () => {
      const sent = await t.app.get(MailService).send({
        to: 'marcus@example.invalid',
        template: 'notice',
        context: { ...notice, action: null },
      });
      expect(sent.file).toBeDefined();
      const files = readdirSync(t.config.mailDropDir);
      expect(files).toHaveLength(1);
      const eml = readFileSync(sent.file!, 'utf8');
      expect(eml).toMatch(/^To: marcus@example.invalid$/m);
      expect(eml).toMatch(/^Subject: Coaching call booked: Q&A$/m);
      expect(eml).not.toContain('Open the queue');
    });
  });
});
