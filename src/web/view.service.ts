import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { VIEWS_DIR } from '../common/paths';

type Template = Handlebars.TemplateDelegate<Record<string, unknown>>;

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/**
 * Server-rendered pages. Every template under views/pages, the partials and
 * the layout are compiled once at boot in strict mode (a missing variable is an
 * error, not an empty hole). Values are HTML-escaped; no template uses the
 * triple-stash on user data.
 */
@Injectable()
export class ViewService {
  private readonly hbs = Handlebars.create();
  private readonly pages = new Map<string, Template>();
  private readonly layout: Template;

  constructor() {
    const root = VIEWS_DIR;
    const compile = (path: string): Template =>
      this.hbs.compile(readFileSync(path, 'utf8'), { strict: true });
    this.registerHelpers();
    for (const path of walk(join(root, 'partials')).filter((p) => p.endsWith('.hbs'))) {
      const name = relative(join(root, 'partials'), path).replace(/\.hbs$/, '');
      this.hbs.registerPartial(
        name,
        this.hbs.compile(readFileSync(path, 'utf8'), { strict: true }),
      );
    }
    for (const path of walk(join(root, 'pages')).filter((p) => p.endsWith('.hbs'))) {
      this.pages.set(relative(join(root, 'pages'), path).replace(/\.hbs$/, ''), compile(path));
    }
    this.layout = compile(join(root, 'layouts', 'main.hbs'));
  }

  has(name: string): boolean {
    return this.pages.has(name);
  }

  /** Renders `views/pages/<name>.hbs` inside the layout. `layout` carries title, nav and CSRF token. */
  render(name: string, context: Record<string, unknown>, layout: LayoutContext): string {
    const page = this.pages.get(name);
    if (!page) throw new Error(`no page template ${name}`);
    const body = page({ ...context, csrfToken: layout.csrfToken });
    return this.layout({ ...layout, body: new Handlebars.SafeString(body) });
  }

  private registerHelpers(): void {
    this.hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    /** A 0–1 fraction as a whole percentage; '—' for anything else. */
    this.hbs.registerHelper('percent', (v: unknown) =>
      typeof v === 'number' && Number.isFinite(v) ? `${Math.round(v * 100)}%` : '—',
    );
    this.hbs.registerHelper(
      'includes',
      (list: unknown, value: unknown) => Array.isArray(list) && list.includes(value),
    );
    this.hbs.registerHelper('join', (list: unknown, sep: unknown) =>
      Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : '',
    );
    this.hbs.registerHelper('date', (value: unknown) => {
      if (!value) return '';
      const d = value instanceof Date ? value : new Date(String(value));
      return Number.isNaN(d.getTime())
        ? ''
        : d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
    });
  }
}

export interface NavLink {
  href: string;
  label: string;
  active?: boolean;
}

export interface LayoutContext {
  title: string;
  csrfToken: string;
  user: { name: string; email: string; roles: string[] } | null;
  nav: NavLink[];
  flash?: { kind: 'info' | 'error'; text: string } | null;
  /** Unread in-app notifications of the signed-in user (null: not shown). */
  unreadCount?: number | null;
}
