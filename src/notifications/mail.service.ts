import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config';
import { VIEWS_DIR } from '../common/paths';
import { EmailTemplates } from './email-templates';

export interface OutgoingEmail {
  to: string;
  template: string;
  context: Record<string, unknown>;
  /** Footer links for the layout (unsubscribe, open pixel). */
  tracking?: { unsubscribeUrl?: string; pixelUrl?: string };
  headers?: Record<string, string>;
}

export interface SentEmail {
  messageId: string;
  /** Path of the .eml file, when no SMTP server is configured. */
  file?: string;
}

/**
 * Sends templated email over SMTP (SMTP_URL). Outside production with no SMTP
 * configured, each message is written as an .eml file under DATA_DIR/mail.
 */
@Injectable()
export class MailService implements OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private readonly transport: Transporter;
  private readonly dropDir?: string;
  readonly templates: EmailTemplates;

  constructor(private readonly config: AppConfig) {
    this.templates = new EmailTemplates(join(VIEWS_DIR, 'emails'));
    if (config.SMTP_URL) {
      this.transport = nodemailer.createTransport(config.SMTP_URL);
    } else {
      this.dropDir = config.mailDropDir;
      this.transport = nodemailer.createTransport({
        streamTransport: true,
        buffer: true,
        newline: 'unix',
      });
    }
  }

  async send(email: OutgoingEmail): Promise<SentEmail> {
    const rendered = this.templates.render(email.template, email.context, email.tracking);
    const info = await this.transport.sendMail({
      ...(email.headers ? { headers: email.headers } : {}),
      from: this.config.MAIL_FROM,
      to: email.to,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
    });
    if (!this.dropDir) return { messageId: info.messageId };
    const file = join(
      this.dropDir,
      `${new Date().toISOString().replace(/[:.]/g, '-')}-${email.template}-${info.messageId.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}.eml`,
    );
    await this.drop(file, (info as unknown as { message: Buffer }).message);
    this.logger.debug(`wrote ${file}`);
    return { messageId: info.messageId, file };
  }

  /**
   * Writes on libuv's pool, not on the event loop the pages share. The folder
   * is created on the first message and again if it went missing since.
   */
  private async drop(file: string, message: Buffer): Promise<void> {
    try {
      await writeFile(file, message);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(this.dropDir!, { recursive: true });
      await writeFile(file, message);
    }
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
