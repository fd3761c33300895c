import Handlebars from 'handlebars';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

type Template = Handlebars.TemplateDelegate<Record<string, unknown>>;

/**
 * Handlebars email templates from `views/emails/`, compiled once at boot in
 * strict mode (a missing variable is an error, never an empty hole). Each
 * email NAME has NAME.subject.hbs, NAME.html.hbs and NAME.txt.hbs; the HTML
 * part is wrapped in layout.html.hbs.
 */
export class EmailTemplates {
  private readonly templates = new Map<
    string,
    { subject: Template; html: Template; text: Template }
  >();
  private readonly layout: Template;

  constructor(dir: string) {
    const hbs = Handlebars.create();
    // HTML parts are escaped; the subject and the text part are plain text, so they are not.
    const compile = (file: string, noEscape = false): Template =>
      hbs.compile(readFileSync(join(dir, file), 'utf8'), { strict: true, noEscape });
    this.layout = compile('layout.html.hbs');
    const names = readdirSync(dir)
      .filter((f) => f.endsWith('.subject.hbs'))
      .map((f) => f.slice(0, -'.subject.hbs'.length));
    for (const name of names) {
      for (const part of ['html', 'txt']) {
        if (!existsSync(join(dir, `${name}.${part}.hbs`))) {
          throw new Error(`email template ${name} has no ${name}.${part}.hbs in ${dir}`);
        }
      }
      this.templates.set(name, {
        subject: compile(`${name}.subject.hbs`, true),
        html: compile(`${name}.html.hbs`),
        text: compile(`${name}.txt.hbs`, true),
      });
    }
  }

  get names(): string[] {
    return [...this.templates.keys()];
  }

  /**
   * `tracking` fills the layout's footer: the unsubscribe link and the open
   * pixel (both absent for account email such as invitations).
   */
  render(
    name: string,
    context: Record<string, unknown>,
    tracking: { unsubscribeUrl?: string; pixelUrl?: string } = {},
  ): RenderedEmail {
    const template = this.templates.get(name);
    if (!template) throw new Error(`unknown email template ${name}`);
    const subject = template.subject(context).replace(/\s+/g, ' ').trim();
    const body = template.html(context);
    return {
      subject,
      html: this.layout({
        ...context,
        subject,
        body: new Handlebars.SafeString(body),
        unsubscribeUrl: tracking.unsubscribeUrl ?? null,
        pixelUrl: tracking.pixelUrl ?? null,
      }),
      text: tracking.unsubscribeUrl
        ? `${template.text(context)}\n\n--\nUnsubscribe: ${tracking.unsubscribeUrl}\n`
        : template.text(context),
    };
  }
}
