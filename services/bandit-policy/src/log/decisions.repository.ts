import type { ClickHouseClient } from '@offerstream/clickhouse';
import type { DecisionRow } from './decision-rows';

/** Writes the decision log's rows to ClickHouse (idempotent: rows collapse on their key). */
export class DecisionsRepository {
  constructor(private readonly ch: ClickHouseClient) {}

  async insert(
    decisions: readonly DecisionRow[],
    candidates: readonly DecisionRow[],
  ): Promise<void> {
    if (decisions.length > 0)
      await this.ch.insert({ table: 'decisions', values: [...decisions], format: 'JSONEachRow' });
    if (candidates.length > 0)
      await this.ch.insert({
        table: 'decision_candidates',
        values: [...candidates],
        format: 'JSONEachRow',
      });
  }
}
