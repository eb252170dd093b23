import { insertTabSeparatedLines, type ClickHouseClient } from '@offerstream/clickhouse';
import { CANDIDATE_COLUMNS, DECISION_COLUMNS } from './decision-rows';

/**
 * Writes the decision log's rows to ClickHouse (idempotent: rows collapse on their key), as
 * TabSeparated lines the caller encoded with tabSeparatedLine over DECISION_COLUMNS and
 * CANDIDATE_COLUMNS.
 */
export class DecisionsRepository {
  constructor(private readonly ch: ClickHouseClient) {}

  async insert(decisions: readonly string[], candidates: readonly string[]): Promise<void> {
    await insertTabSeparatedLines(this.ch, 'decisions', DECISION_COLUMNS, decisions);
    await insertTabSeparatedLines(this.ch, 'decision_candidates', CANDIDATE_COLUMNS, candidates);
  }
}
