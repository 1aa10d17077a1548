import type { CalculationSubject, SourceResult } from "../outcome.js";

/**
 * A SaaS data source (Intercom, Aircall, Google Workspace, any HTTP JSON API): turns a definition's
 * settings and a user's period into a value. Adapters reach their API through a configured base URL,
 * so tests run them against local servers.
 */
export interface DataSourceAdapter {
  /** The `type` of the data source that selects this adapter, e.g. "intercom". */
  readonly type: string;
  /** The provider whose account id the user needs (user_external_ids.provider), if any. */
  readonly provider?: string;
  fetch(settings: Record<string, unknown>, subject: CalculationSubject): Promise<SourceResult>;
}

export class AdapterRegistry {
  private readonly adapters = new Map<string, DataSourceAdapter>();

  constructor(adapters: readonly DataSourceAdapter[] = []) {
    for (const adapter of adapters) this.adapters.set(adapter.type, adapter);
  }

  get(type: string): DataSourceAdapter | undefined {
    return this.adapters.get(type);
  }
}
