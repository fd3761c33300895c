import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import { InterventionConfigVersion } from './entities/intervention-config.entity';
import { DEFAULT_RULE_CONFIG, RuleConfigDocument, ruleConfigProblems } from './intervention-rules';
import { DEFAULT_SLA_POLICY, SlaPolicyDocument, slaPolicyProblems } from './intervention-sla';

export type ConfigKind = 'rules' | 'sla';
export interface VersionedConfig<T> {
  /** 0: the built-in default, never saved. */
  version: number;
  document: T;
  createdAt: Date | null;
  createdByUserId: string | null;
}

const DEFAULTS = { rules: DEFAULT_RULE_CONFIG, sla: DEFAULT_SLA_POLICY };
const VALIDATE = {
  rules: (d: unknown) => ruleConfigProblems(d as RuleConfigDocument),
  sla: (d: unknown) => slaPolicyProblems(d as SlaPolicyDocument),
};

/**
 * How long a process reuses the version in force that it read, outside a
 * transaction: pages and rule runs asked for it a few dozen times a second
 * under load. A save in this process takes effect here at once; one in
 * another process (ROLE=web and ROLE=worker apart) within this time.
 */
export const CONFIG_REUSE_MS = 5_000;

/**
 * The rule configuration and the SLA policies, as versioned JSON documents:
 * saving validates and appends a version, the highest version is in force.
 * The documents returned are shared: read them, never change them.
 */
@Injectable()
export class InterventionConfigService {
  private readonly inForce = new LRUCache<ConfigKind, VersionedConfig<unknown>>({
    max: 2,
    ttl: CONFIG_REUSE_MS,
    fetchMethod: (kind) => this.read(kind, this.dataSource.manager),
    // A save forgets the entry while a read may be in flight: its waiters still get what
    // it read (not an abort error), and it is not kept.
    ignoreFetchAbort: true,
    // Time from the app's Clock, looked at on every read.
    perf: { now: () => this.clock.now().getTime() },
    ttlResolution: 0,
  });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  rules(manager?: EntityManager): Promise<VersionedConfig<RuleConfigDocument>> {
    return this.current('rules', manager) as Promise<VersionedConfig<RuleConfigDocument>>;
  }

  sla(manager?: EntityManager): Promise<VersionedConfig<SlaPolicyDocument>> {
    return this.current('sla', manager) as Promise<VersionedConfig<SlaPolicyDocument>>;
  }

  /**
   * The version in force. In a transaction (`manager`) always read from it;
   * otherwise reused for up to CONFIG_REUSE_MS.
   */
  async current(kind: ConfigKind, manager?: EntityManager): Promise<VersionedConfig<unknown>> {
    if (manager) return this.read(kind, manager);
    return (await this.inForce.fetch(kind))!;
  }

  private async read(kind: ConfigKind, manager: EntityManager): Promise<VersionedConfig<unknown>> {
    const row = await manager
      .getRepository(InterventionConfigVersion)
      .findOne({ where: { kind }, order: { version: 'DESC' } });
    if (!row)
      return { version: 0, document: DEFAULTS[kind], createdAt: null, createdByUserId: null };
    return {
      version: row.version,
      document: row.document,
      createdAt: row.createdAt,
      createdByUserId: row.createdByUserId,
    };
  }

  /** The latest versions of one document, newest first, with who saved each. */
  async versions(
    kind: ConfigKind,
    limit = 20,
  ): Promise<(VersionedConfig<unknown> & { createdByName: string | null })[]> {
    const rows: {
      version: number;
      document: unknown;
      created_at: Date;
      created_by_user_id: string | null;
      full_name: string | null;
    }[] = await this.dataSource.query(
      `SELECT v.version, v.document, v.created_at, v.created_by_user_id, u.full_name
         FROM intervention_config_versions v LEFT JOIN users u ON u.id = v.created_by_user_id
        WHERE v.kind = $1 ORDER BY v.version DESC LIMIT $2`,
      [kind, limit],
    );
    return rows.map((r) => ({
      version: r.version,
      document: r.document,
      createdAt: r.created_at,
      createdByUserId: r.created_by_user_id,
      createdByName: r.full_name,
    }));
  }

  /** Validates and stores a new version in a transaction of its own; in force here at once. */
  async saveVersion(
    kind: ConfigKind,
    document: unknown,
    actorUserId: string | null,
  ): Promise<VersionedConfig<unknown>> {
    try {
      return await this.dataSource.transaction((m) => this.save(kind, document, actorUserId, m));
    } finally {
      // After the commit: a read between the save and the commit would keep the old version.
      this.inForce.delete(kind);
    }
  }

  /** Validates and stores a new version (400 naming every problem). */
  private async save(
    kind: ConfigKind,
    document: unknown,
    actorUserId: string | null,
    manager: EntityManager,
  ): Promise<VersionedConfig<unknown>> {
    if (typeof document !== 'object' || document === null || Array.isArray(document))
      throw new DetailedHttpError(400, 'the configuration must be a JSON object');
    let problems: string[];
    try {
      problems = VALIDATE[kind](document);
    } catch {
      problems = ['the configuration does not have the expected shape'];
    }
    if (problems.length)
      throw new DetailedHttpError(
        400,
        `the ${kind} configuration is not valid: ${problems.join('; ')}`,
        problems.map((message) => ({ field: kind, message })),
      );
    await manager.query('SELECT pg_advisory_xact_lock(4180501, hashtext($1))', [kind]);
    const [{ next }]: { next: number }[] = await manager.query(
      'SELECT coalesce(max(version), 0) + 1 AS next FROM intervention_config_versions WHERE kind = $1',
      [kind],
    );
    const row = await manager.getRepository(InterventionConfigVersion).save({
      kind,
      version: next,
      document: document as Record<string, unknown>,
      createdByUserId: actorUserId,
      createdAt: this.clock.now(),
    });
    return {
      version: row.version,
      document: row.document,
      createdAt: row.createdAt,
      createdByUserId: row.createdByUserId,
    };
  }
}
