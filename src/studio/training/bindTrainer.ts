/**
 * Engine events → store. The trainer's events are plain data already; this only batches them per animation
 * frame (one store update, one React render per frame however fast steps come) and makes sure the last
 * events of a run are delivered at once.
 */
import type { Trainer, TrainerEvent } from '../../engine/training/trainer.ts';
import { FrameBatcher, type FrameScheduler } from './frameBatcher.ts';

export interface TrainerEventSink {
  applyTrainerEvents(events: readonly TrainerEvent[]): void;
}

export interface BindOptions {
  schedule?: FrameScheduler;
}

/** Returns an unbind function: it stops listening and flushes what is still queued. */
export function bindTrainer(trainer: Pick<Trainer, 'on'>, sink: () => TrainerEventSink, options: BindOptions = {}): () => void {
  const batcher = new FrameBatcher<TrainerEvent>((events) => sink().applyTrainerEvents(events), options.schedule);
  const off = trainer.on((event) => {
    batcher.push(event);
    // A run that ends, fails or pauses is shown at once, not a frame later (and never lost with the page).
    if (event.type === 'runFailed' || (event.type === 'stateChanged' && event.state !== 'running')) batcher.flush();
  });
  return () => {
    off();
    batcher.dispose();
  };
}
