import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Audited } from '../audit/audit.decorators';
import { Page, RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { DetailedHttpError } from '../common/error-body';
import { Pages } from '../web/pages.service';
import { ConfigKind, InterventionConfigService } from './intervention-config.service';
import { actorOf, InterventionsService } from './interventions.service';
import { when } from './queue-row';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One form control for one leaf of a configuration document. */
interface Field {
  name: string;
  id: string;
  label: string;
  kind: 'checkbox' | 'number' | 'text' | 'list' | 'json';
  value: string;
  checked: boolean;
  hint: string | null;
}
interface Group {
  legend: string;
  fields: Field[];
}

const HINTS: Record<string, string> = {
  'calendar.timeZone': 'IANA name, e.g. America/New_York',
  'calendar.workingDays': 'ISO weekdays, 1 = Monday … 7 = Sunday, separated by commas',
  'calendar.dayStart': 'HH:MM, local time',
  'calendar.dayEnd': 'HH:MM, local time',
  'calendar.holidays': 'One date (YYYY-MM-DD) per line',
  overrides:
    'JSON list of {"type", "priority" (optional), "firstActionHours", "resolutionHours"}: the most specific wins',
  minSessions: 'Tutors with fewer completed sessions are skipped',
  sameTypeCooldownDays: 'The same type is not created again within this many days',
  maxOpenPerTutor: 'At most this many open per tutor, highest priority first',
};

const humanize = (key: string) => {
  const words = key
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};
const isPlainObject = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The form for a document, built from its shape: booleans are checkboxes,
 * numbers number inputs, strings text, lists of plain values one text field,
 * lists of objects a JSON text area; nested objects are fieldsets.
 */
export function formOf(kind: ConfigKind, doc: Record<string, Json>): Group[] {
  const groups: Group[] = [];
  const top: Group = { legend: kind === 'rules' ? 'General' : 'Policy', fields: [] };
  groups.push(top);
  const leaf = (path: string, key: string, v: Json): Field => {
    const base = {
      name: path,
      id: `${kind}-${path.replace(/[^A-Za-z0-9]/g, '-')}`,
      label: humanize(key),
      checked: false,
      hint: HINTS[path] ?? null,
    };
    if (typeof v === 'boolean') return { ...base, kind: 'checkbox', value: 'true', checked: v };
    if (typeof v === 'number') return { ...base, kind: 'number', value: String(v) };
    if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null))
      return {
        ...base,
        kind: 'list',
        value: v.map(String).join(path.endsWith('holidays') ? '\n' : ', '),
      };
    if (typeof v === 'string') return { ...base, kind: 'text', value: v };
    return { ...base, kind: 'json', value: JSON.stringify(v, null, 2) };
  };
  const walk = (obj: Record<string, Json>, prefix: string, group: Group) => {
    for (const [key, v] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (isPlainObject(v) && Object.values(v).every((x) => !isPlainObject(x))) {
        const g: Group = { legend: humanize(path.replace(/\./g, ' ')), fields: [] };
        groups.push(g);
        walk(v, path, g);
      } else if (isPlainObject(v)) walk(v, path, group);
      else group.fields.push(leaf(path, key, v));
    }
  };
  walk(doc, '', top);
  return groups.filter((g) => g.fields.length);
}

/**
 * Reads a submitted form back into a document of the same shape as `template`
 * (the version in force). Values that cannot be read are kept as typed, so the
 * same validation as the API names them; unreadable JSON is a problem here.
 */
export function documentFromForm(
  template: Record<string, Json>,
  form: Record<string, unknown>,
): { document: Record<string, Json>; problems: string[] } {
  const problems: string[] = [];
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const build = (obj: Record<string, Json>, prefix: string): Record<string, Json> => {
    const out: Record<string, Json> = {};
    for (const [key, v] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${key}` : key;
      const raw = form[path];
      if (isPlainObject(v)) out[key] = build(v, path);
      else if (typeof v === 'boolean')
        out[key] = raw !== undefined && raw !== '' && raw !== 'false';
      else if (typeof v === 'number') {
        const text = str(raw).trim();
        const n = Number(text);
        out[key] = text !== '' && Number.isFinite(n) ? n : text;
      } else if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) {
        const parts = str(raw)
          .split(/[\n,]/)
          .map((x) => x.trim())
          .filter(Boolean);
        const numeric = v.length > 0 && v.every((x) => typeof x === 'number');
        out[key] =
          numeric || path.endsWith('workingDays')
            ? parts.map((x) => (Number.isFinite(Number(x)) ? Number(x) : x))
            : parts;
      } else if (typeof v === 'string') out[key] = str(raw).trim();
      else {
        try {
          out[key] = JSON.parse(str(raw) || 'null') as Json;
        } catch (error) {
          problems.push(`${path} is not valid JSON: ${(error as Error).message}`);
          out[key] = v;
        }
      }
    }
    return out;
  };
  return { document: build(template, ''), problems };
}

const kindOf = (kind: string): ConfigKind => {
  if (kind !== 'rules' && kind !== 'sla') throw new DetailedHttpError(404, 'no such configuration');
  return kind;
};

/** Admins edit the rule configuration and the SLA policies here (same validation as the API). */
@ApiExcludeController()
@Controller('admin/intervention-config')
export class InterventionConfigPagesController {
  constructor(
    private readonly config: InterventionConfigService,
    private readonly interventions: InterventionsService,
    private readonly pages: Pages,
  ) {}

  @Get()
  @Page()
  @RequirePermission('interventions.configure')
  async show(@Req() req: AppRequest, @Res() res: Response, @Query('saved') saved?: string) {
    const notice =
      saved === 'rules' || saved === 'sla'
        ? `Saved a new version of the ${saved === 'rules' ? 'rule configuration' : 'SLA policies'}.`
        : null;
    await this.render(req, res, {}, notice ? { kind: 'info', text: notice } : null, 200);
  }

  @Post(':kind')
  @Page()
  @RequirePermission('interventions.configure')
  @Audited({
    resource: 'intervention_config',
    idParam: 'kind',
    action: 'intervention_config.saved',
  })
  async save(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Param('kind') kindParam: string,
    @Body() body: Record<string, unknown>,
  ) {
    const kind = kindOf(kindParam);
    const current = await this.config.current(kind);
    const { document, problems } = documentFromForm(current.document as Record<string, Json>, body);
    try {
      if (problems.length)
        throw new DetailedHttpError(
          400,
          `the ${kind} configuration is not valid: ${problems.join('; ')}`,
          problems.map((message) => ({ field: kind, message })),
        );
      await this.config.saveVersion(kind, document, actorOf(req.principal).userId);
    } catch (error) {
      if (!(error instanceof DetailedHttpError) || error.statusCode !== 400) throw error;
      const details = (error as DetailedHttpError & { details?: { message: string }[] }).details;
      const list =
        Array.isArray(details) && details.length ? details.map((d) => d.message) : [error.message];
      return this.render(
        req,
        res,
        { [kind]: { document, errors: list } },
        {
          kind: 'error',
          text: `Not saved: the ${kind === 'rules' ? 'rule configuration' : 'SLA policies'} have ${list.length} problem${list.length === 1 ? '' : 's'} (listed below).`,
        },
        400,
      );
    }
    if (kind === 'sla') await this.interventions.recomputeOpen();
    res.redirect(303, `/admin/intervention-config?saved=${kind}`);
  }

  private async render(
    req: AppRequest,
    res: Response,
    submitted: Partial<Record<ConfigKind, { document: Record<string, Json>; errors: string[] }>>,
    flash: { kind: 'info' | 'error'; text: string } | null,
    status: number,
  ) {
    const sections = await Promise.all(
      (['rules', 'sla'] as const).map(async (kind) => {
        const [current, versions] = await Promise.all([
          this.config.current(kind),
          this.config.versions(kind),
        ]);
        const doc = submitted[kind]?.document ?? (current.document as Record<string, Json>);
        return {
          kind,
          title: kind === 'rules' ? 'Rule configuration' : 'SLA policies and calendar',
          intro:
            kind === 'rules'
              ? 'Which of the twelve rules run, and their thresholds. Rates are fractions between 0 and 1; ratings 1–5.'
              : 'Working time counts only on working days and hours in the organisation’s time zone, never on holidays. Targets are in working hours. Saving recomputes every open intervention’s deadlines.',
          version: current.version,
          errors: submitted[kind]?.errors ?? [],
          groups: formOf(kind, doc),
          versions: versions.map((v) => ({
            version: v.version,
            at: when(v.createdAt!.toISOString()),
            by: v.createdByName ?? 'unknown',
            json: JSON.stringify(v.document, null, 2),
          })),
        };
      }),
    );
    this.pages.send(
      req,
      res,
      'admin/intervention-config',
      { sections },
      {
        title: 'Intervention configuration',
        status,
        flash,
      },
    );
  }
}
