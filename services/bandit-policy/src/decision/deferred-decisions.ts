/** A reservation of a deferred decision, waiting for its impression. */
export interface DeferredSlot {
  readonly reservationId: string;
  readonly shopId: string;
  readonly userId: string;
  readonly campaignId: string;
  readonly offerId: string;
  /** Local day of the campaign's frequency caps when decided. */
  readonly day: string;
  readonly windowMs: number;
}

/**
 * Deferred decisions this replica made and whose activation verdict has not arrived:
 * when it does, the reservations are extended (activated: they now last the attribution
 * window) or released (expired), and activated offers count for frequency caps.
 */
export class DeferredDecisions {
  private readonly open = new Map<string, { slots: DeferredSlot[]; deadlineMs: number }>();

  add(decisionId: string, deadlineMs: number, slots: DeferredSlot[]): void {
    if (slots.length > 0) this.open.set(decisionId, { slots, deadlineMs });
  }

  /** Takes the decision's slots (once). */
  take(decisionId: string): DeferredSlot[] | undefined {
    const d = this.open.get(decisionId);
    this.open.delete(decisionId);
    return d?.slots;
  }

  /** Drops decisions whose verdict is overdue by `graceMs` (their reservations expire on their own). */
  sweep(nowMs: number, graceMs: number): number {
    let n = 0;
    for (const [id, d] of this.open)
      if (d.deadlineMs + graceMs < nowMs) {
        this.open.delete(id);
        n++;
      }
    return n;
  }

  get size(): number {
    return this.open.size;
  }
}
