/**
 * `caption-studio train`'s view of a run, whichever trainer runs it: prints its events to stderr as they
 * come (at most one step line every 2 s) and keeps what the summary reports (steps, tokens, the backend,
 * precision and kernels really used, the replicas, the last saved epoch, a replica's fault).
 */
import type { Trainer, TrainerEvent, TrainConfig } from '../engine/training/trainer.ts';
import type { CliIo } from './io.ts';

const STEP_LINE_EVERY_MS = 2000;

export class TrainProgress {
  steps = 0;
  tokens = 0;
  stepMs = 0;
  finalLoss = NaN;
  /** The backend the weights really train on (a mirrored run's replicas say theirs), once known. */
  backend: string | null = null;
  kernels = 'stock tfjs ops';
  precision: TrainConfig['precision'];
  skippedSteps = 0;
  lossScale: number | null = null;
  /** Replica threads of the group as it last ran (1: the in-process trainer on this thread). */
  replicas = 1;
  /** Epochs finished in the model folder by this run's last checkpoint (null: none saved by this run). */
  savedEpoch: number | null = null;
  /** A replica that failed (mirrored): the CLI does not recover interactively, it stops and names it. */
  fault: { replica: number; message: string } | null = null;
  private lastStepLineMs = 0;

  constructor(
    private readonly trainer: Trainer,
    private readonly io: CliIo,
    private readonly config: TrainConfig,
    /** The model folder as the user wrote it, for messages. */
    private readonly out: string,
  ) {
    this.precision = config.precision;
    trainer.on((event) => this.onEvent(event));
  }

  private say(line: string): void {
    this.io.err(`train: ${line}\n`);
  }

  private onEvent(event: TrainerEvent): void {
    switch (event.type) {
      case 'mirroredSetup':
        this.replicas = event.replicas;
        this.say(`${event.replicas} replicas (worker threads, ids ${event.replicaIds.join(', ')}) on ${event.backend}, ${event.allReduce} all-reduce`);
        if (event.fallbackReason) this.say(event.fallbackReason);
        break;
      case 'backendChosen':
        this.backend = event.backend;
        this.kernels = event.kernels ?? this.kernels;
        this.precision = event.precision ?? this.precision;
        this.say(`${this.precision}, ${this.kernels}`);
        // Only replicas report a backend fall-back here (this thread's was printed when it was chosen).
        if (event.fallbackReason) this.say(`replicas: ${event.fallbackReason}`);
        if (event.kernelFallbackReason) this.say(event.kernelFallbackReason);
        break;
      case 'stepCompleted':
        if (event.lossScale !== undefined) this.lossScale = event.lossScale;
        if (event.skipped) {
          this.skippedSteps++;
          this.say(`step ${event.step} skipped: non-finite gradient in f16; loss scale now ${event.lossScale}`);
        }
        this.steps++;
        this.tokens += event.tokens;
        this.stepMs += event.durationMs;
        if (performance.now() - this.lastStepLineMs > STEP_LINE_EVERY_MS) {
          this.lastStepLineMs = performance.now();
          this.say(`epoch ${event.epoch} step ${event.step} loss ${event.loss.toFixed(4)} ${event.tokensPerSecond.toFixed(0)} tokens/s`);
        }
        break;
      case 'epochCompleted': {
        this.finalLoss = event.trainLoss;
        const b = event.bleu;
        const bleu = b ? ` BLEU-1..4 ${[b.bleu1, b.bleu2, b.bleu3, b.bleu4].map((v) => v.toFixed(3)).join('/')}` : '';
        this.say(`epoch ${event.epoch}/${this.config.epochs} loss ${event.trainLoss.toFixed(4)} val ${event.valLoss?.toFixed(4) ?? '-'}${bleu} (${(event.durationMs / 1000).toFixed(1)} s)`);
        for (const sample of event.samples ?? []) this.say(`epoch ${event.epoch} sample ${sample.name}: ${sample.caption}`);
        break;
      }
      case 'checkpointSaved':
        this.savedEpoch = event.epoch;
        this.say(`saved epoch ${event.epoch} to ${this.out}`);
        break;
      case 'warning':
        this.say(`WARNING: ${event.message}`);
        break;
      case 'replicaFault':
        // No interactive recovery here: name the replica, stop (the workers end), keep the last checkpoint.
        this.fault ??= { replica: event.replica, message: `${event.message} (at step ${event.step + 1})` };
        void this.trainer.stop();
        break;
      case 'runFailed':
        if (event.replica !== undefined) this.fault ??= { replica: event.replica, message: event.error.message };
        break;
    }
  }

  get tokensPerSecond(): number {
    return this.stepMs ? (this.tokens / this.stepMs) * 1000 : 0;
  }
}
