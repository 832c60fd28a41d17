/** Which (operation × status) pairs the cases exercised, and the table printed at the end. */
import { type Contract, documentedStatuses, type Operation } from './contract';

export class Coverage {
  /** operationId → status → case names that got it. */
  readonly hits = new Map<string, Map<number, string[]>>();

  record(operationId: string, status: number, caseName: string) {
    let byStatus = this.hits.get(operationId);
    if (!byStatus) {
      byStatus = new Map();
      this.hits.set(operationId, byStatus);
    }
    const names = byStatus.get(status) ?? [];
    names.push(caseName);
    byStatus.set(status, names);
  }

  has(operationId: string, status: number) {
    return (this.hits.get(operationId)?.get(status)?.length ?? 0) > 0;
  }

  hasSuccess(operationId: string) {
    return [...(this.hits.get(operationId)?.keys() ?? [])].some((s) => s >= 200 && s < 300);
  }

  /** Gaps: operations without a success case and documented statuses never exercised. */
  gaps(operations: Operation[]) {
    const noSuccess: string[] = [];
    const unexercised: string[] = [];
    for (const op of operations) {
      if (!this.hasSuccess(op.operationId)) noSuccess.push(`${op.operationId} (${op.method} ${op.path})`);
      for (const s of documentedStatuses(op)) {
        // 500 is the contract's promise about unexpected failures (an envelope with INTERNAL_ERROR and nothing
        // internal), not something a request can choose to cause; the worker-kit tests provoke it.
        if (s === 500) continue;
        if (!this.has(op.operationId, s)) unexercised.push(`${op.operationId} ${s}`);
      }
    }
    return { noSuccess, unexercised };
  }

  table(contract: Contract, operations: Operation[]) {
    const rows: string[][] = [['operation', 'method path', 'worker', 'statuses (✓ exercised, ✗ not)']];
    for (const op of operations) {
      const documented = documentedStatuses(op);
      const extra = [...(this.hits.get(op.operationId)?.keys() ?? [])].filter((s) => !documented.includes(s));
      const cells = documented.map((s) => `${s}${this.has(op.operationId, s) ? '✓' : '✗'}`);
      for (const s of extra) cells.push(`${s}!undocumented`);
      rows.push([
        op.operationId,
        `${op.method} ${op.path}`,
        op.workers.length > 1 ? `${op.workers.length} workers` : (op.workers[0] ?? '?'),
        cells.join(' '),
      ]);
    }
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
    const total = operations.reduce((n, op) => n + documentedStatuses(op).length, 0);
    const done = operations.reduce(
      (n, op) => n + documentedStatuses(op).filter((s) => this.has(op.operationId, s)).length,
      0,
    );
    return [
      `Contract coverage — ${contract.file}`,
      line(rows[0] ?? []),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...rows.slice(1).map(line),
      `${done}/${total} documented (operation × status) pairs exercised across ${operations.length} operations`,
    ].join('\n');
  }
}
