/**
 * A lost GPU device in the middle of a run. The run waits at its last checkpoint and goes on where the user
 * chooses: on a new GPU device or on wasm.
 * - The page's own device (a run on the page's thread): the run is stopped (its step in flight fails with
 *   the device), and reads as stopped by the loss, not as failed; continuing chooses the page's backend
 *   again (a new device, or wasm) and resumes from the checkpoint.
 * - A replica's device (a mirrored run in workers): the mirrored trainer pauses by itself with the fault.
 *   A new device with replicas left restarts the lost replica from a survivor's weights (no step lost);
 *   otherwise (its only replica, or wasm) the run is stopped and resumed from the checkpoint.
 */
import type { Trainer } from '../../engine/training/trainer.ts';
import type { StudioStore } from '../../store/studioStore.ts';
import type { TrainingData } from '../../store/slices/training/index.ts';
import type { StudioEngines } from '../ports.ts';

export type DeviceChoice = 'gpu' | 'wasm';

export interface DeviceLossPorts {
  store: StudioStore;
  engines: StudioEngines;
  /** The trainer of the run going now, if any. */
  trainer(): Trainer | null;
  /** Stops the run going and waits until it has ended and its model is kept. */
  endRun(): Promise<void>;
  /** Continues the run from its last checkpoint (same run id). */
  resume(): Promise<void>;
}

interface Recoverable {
  recoverWith(mode: 'restart' | 'remaining'): void;
}

export class DeviceLoss {
  /** The page's device was lost while a run trained on this thread: its message, until the run is settled. */
  private pageLost: string | null = null;
  /** This run's end was already said to be the loss's (the loss was announced after the run had failed). */
  private settled = false;
  private readonly unwatch: () => void;

  constructor(private readonly ports: DeviceLossPorts) {
    this.unwatch = ports.engines.watchDeviceLoss?.((message) => this.onPageDeviceLost(message)) ?? (() => undefined);
  }

  private onPageDeviceLost(message: string): void {
    const t = this.ports.store.getState().training;
    const onPage = t.placement === 'page' && t.config.replicas <= 1;
    if (!onPage) return;
    if (t.state === 'running' || t.state === 'paused') {
      this.pageLost = message;
      // The step in flight fails with the device; a paused run would otherwise wait on it.
      void this.ports.trainer()?.stop();
      return;
    }
    // The step in flight can fail with the device before the loss is announced (measured in Chromium: the
    // mapAsync rejection came first): the failed run is then the loss's.
    if (t.state === 'failed' && this.ports.trainer()?.state === 'failed') {
      this.pageLost = message;
      this.settle();
    }
  }

  /** A run (new or continued) starts: its end is its own again. */
  runStarting(): void {
    this.pageLost = null;
    this.settled = false;
  }

  /**
   * After the run's trainer ended: true when it ended because the page's device was lost. It then reads as
   * stopped by the loss (not as a failure), waiting for the user's choice.
   */
  settle(): boolean {
    if (this.settled) return true;
    const message = this.pageLost;
    if (message === null) return false;
    this.pageLost = null;
    this.settled = true;
    const s = this.ports.store.getState();
    const step = s.training.steps.step.length;
    const checkpoint = s.training.lastCheckpoint;
    s.setTrainingError(null);
    s.applyTrainerEvents([
      {
        type: 'stateChanged',
        state: 'stopped',
        reason: `the GPU device was lost at step ${step}; ${checkpoint ? `the checkpoint of step ${checkpoint.step} is kept` : 'there is no checkpoint yet'}`,
      },
    ]);
    this.ports.store.getState().setDeviceLost({ message, step });
    return true;
  }

  /**
   * Goes on after a lost device, on a new GPU device or on wasm. One choice at a time: a second click while
   * the first is being set up (a new device takes a while) is ignored, where before it started a second
   * continuation beside the first, both drawing into one run's charts (measured: 20 steps drawn for 12).
   */
  continueOn(choice: DeviceChoice): Promise<void> {
    const lost = this.ports.store.getState().training.deviceLost;
    if (!lost || lost.continuingOn) return Promise.resolve();
    this.ports.store.getState().setDeviceLost({ ...lost, continuingOn: choice });
    const reopen = () => {
      // The run went on (its 'running' cleared the notice) or ended before it ran: the choices open again.
      const now = this.ports.store.getState().training.deviceLost;
      if (!now?.continuingOn) return;
      const { continuingOn: _, ...waiting } = now;
      this.ports.store.getState().setDeviceLost(waiting);
    };
    return this.continueFrom(lost, choice).then(
      (handedOver) => {
        if (!handedOver) reopen();
      },
      (error: unknown) => {
        reopen();
        throw error;
      },
    );
  }

  /** True when the mirrored trainer restarts the replica itself (its 'running', or a new fault, ends the wait). */
  private async continueFrom(lost: NonNullable<TrainingData['deviceLost']>, choice: DeviceChoice): Promise<boolean> {
    const s = this.ports.store.getState();
    const trainer = this.ports.trainer() as (Trainer & Partial<Recoverable>) | null;
    const survivors = (s.training.mirrored?.replicas ?? 0) > 1;
    if (lost.replica !== undefined && choice === 'gpu' && survivors && trainer?.recoverWith && s.training.state === 'paused') {
      trainer.recoverWith('restart');
      return true;
    }
    if (s.training.state === 'running' || s.training.state === 'paused') await this.ports.endRun();
    if (!this.ports.store.getState().training.lastCheckpoint) return false;
    // The page's backend is chosen again when its own device was lost, or to move the run to wasm (replica
    // workers start on the page's backend); a lost replica's new worker gets a new device by itself.
    if (lost.replica === undefined || choice === 'wasm') {
      const page = await this.ports.engines.restartBackend?.(choice === 'gpu' ? 'webgpu' : 'wasm');
      if (page) this.ports.store.getState().setPageBackend(page);
    }
    await this.ports.resume();
    return false;
  }

  dispose(): void {
    this.unwatch();
  }
}
