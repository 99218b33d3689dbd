/**
 * Training in the studio's store: the data the Training panel draws (data.ts), the reducer of the trainer's
 * events (events.ts), the slice's actions (slice.ts); beside them the hidden-page record, the run table's
 * summaries, the run's timing and the per-step breakdown of replicas' time.
 */
export * from './data.ts';
export * from './events.ts';
export * from './slice.ts';
