/**
 * A domain's event listeners (one set per composition root): the domain emits, the root registers
 * what the events become (audit records, log lines, metrics), so no domain imports the audit log.
 * Listeners run after the change is committed; their failures go to onError and never undo it.
 */
export class EventListeners<E> {
  private readonly listeners = new Set<(event: E) => void | Promise<void>>();

  /** Registers a listener for every event; returns the unregister function. */
  on(listener: (event: E) => void | Promise<void>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs every listener in turn; a listener's failure goes to onError and never stops the others. */
  async emit(event: E, onError: (err: unknown, event: E) => void): Promise<void> {
    for (const l of [...this.listeners]) {
      try {
        await l(event);
      } catch (err) {
        onError(err, event);
      }
    }
  }
}
