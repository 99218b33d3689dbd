import { DATA_DEFAULT_KEYS, maxReplicas, type TrainConfig } from '../../protocol/training.ts';
import { NumberInput } from '../panelKit/NumberInput.tsx';
import { Choice, Setting } from '../panelKit/Setting.tsx';
import { useStudio, useStudioStore } from '../storeContext.tsx';
import { useSession } from '../panelKit/hooks.ts';

/** Keras' LossScaleOptimizer defaults, which the trainers use when the config leaves them out. */
const defaultInitialLossScale = 2 ** 15;
const defaultLossScaleGrowthSteps = 2000;

function sharedMemoryReason(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') return 'this browser offers no SharedArrayBuffer';
  if (typeof crossOriginIsolated !== 'undefined' && !crossOriginIsolated) return 'the page is not cross-origin isolated';
  return null;
}

/** Every knob of a run, each with the sentence an instructor reads aloud. Locked while a run is going. */
export function TrainingSettings() {
  const config = useStudio((s) => s.training.config);
  const state = useStudio((s) => s.training.state);
  const session = useSession();
  const set = useStudioStore().getState().setTrainConfig;
  const setPlacement = useStudioStore().getState().setTrainingPlacement;
  const placement = useStudio((s) => s.training.placement);
  const basis = useStudio((s) => s.training.configBasis);
  const given = useStudio((s) => s.training.configGiven);
  // Re-render when the page's backend becomes known: the precision and kernel knobs depend on it.
  useStudio((s) => s.training.pageBackend);
  const kernels = session.kernelOptions();
  const locked = state === 'running' || state === 'paused';
  const num =
    (key: keyof TrainConfig, min: number, max: number, step = 1) =>
    (props: { id: string; disabled: boolean; 'aria-describedby': string; 'aria-labelledby': string }) => (
      <NumberInput
        {...props}
        min={min}
        max={max}
        step={step}
        value={config[key] as number}
        disabled={props.disabled || locked}
        onCommit={(value) => set({ [key]: step >= 1 ? Math.round(value) : value } as Partial<TrainConfig>)}
      />
    );
  const mirrored = session.unavailable('mirrored');
  const ring = session.unavailable('ringAllReduce') ?? sharedMemoryReason();
  return (
    <fieldset className="sp-settings" disabled={locked} data-testid="training-settings">
      <legend>Settings of the run</legend>
      {basis ? (
        <p className="sp-hint" data-testid="training-defaults-basis">
          Epochs, batch size, learning rate and dropout
          {given.some((k) => (DATA_DEFAULT_KEYS as readonly string[]).includes(k)) ? ' (those you did not change)' : ''} are the{' '}
          {basis}: the notebook's 20, 64, 0.001 and 0.4 are for Flickr8K's 6,000 images and 4096-number features.
        </p>
      ) : null}
      <Setting label="Epochs" explain="How many times the model sees every training image.">
        {num('epochs', 1, 200)}
      </Setting>
      <Setting label="Batch size" explain="Images per step; all captions of an image travel together. Bigger is faster per image but needs more memory.">
        {num('batchSize', 1, 1024)}
      </Setting>
      <Setting label="Learning rate" explain="How big a step Adam takes; the notebook uses 0.001 (a small dataset learns faster with 0.005).">
        {num('learningRate', 1e-5, 1, 0.0001)}
      </Setting>
      <Setting label="Layout" explain="Prefix: the notebook's one sample per caption prefix. Sequence: whole captions at once, same maths, far fewer steps.">
        {(p) => (
          <Choice labelledBy={p['aria-labelledby']} describedBy={p['aria-describedby']} name="Layout" value={config.layout} disabled={p.disabled || locked} onChange={(layout) => set({ layout })}
            options={[{ value: 'prefix', label: 'Prefix (notebook)' }, { value: 'sequence', label: 'Sequence' }]} />
        )}
      </Setting>
      <Setting label="Protocol" explain="Kaggle: the notebook's cleaning and splits, bugs included. Standard: the published Flickr8K splits and cleaning.">
        {(p) => (
          <Choice labelledBy={p['aria-labelledby']} describedBy={p['aria-describedby']} name="Protocol" value={config.protocol} disabled={p.disabled || locked} onChange={(protocol) => set({ protocol })}
            options={[{ value: 'kaggle', label: 'Kaggle notebook' }, { value: 'standard', label: 'Standard' }]} />
        )}
      </Setting>
      <Setting
        label="Precision"
        explain="Mixed float16: the fused kernels compute in 16-bit floats (half the memory traffic, faster on many GPUs) while the weights stay float32; a loss scale keeps small gradients from vanishing."
      >
        {(p) => (
          <Choice labelledBy={p['aria-labelledby']} describedBy={p['aria-describedby']} name="Precision" value={config.precision} disabled={p.disabled || locked} onChange={(precision) => set({ precision })}
            disabledOptions={kernels.mixedFloat16 ? { mixed_float16: kernels.mixedFloat16 } : {}}
            options={[{ value: 'float32', label: 'float32' }, { value: 'mixed_float16', label: 'mixed float16' }]} />
        )}
      </Setting>
      <Setting
        label="Initial loss scale"
        explain="Mixed float16 multiplies the loss by this before the backward pass (Keras starts at 2^15 = 32768); a step whose gradients overflow is skipped and the scale halved."
        disabledReason={kernels.lossScale}
      >
        {(p) => <NumberInput {...p} min={1} max={2 ** 30} step={1} value={config.initialLossScale ?? defaultInitialLossScale} disabled={p.disabled || locked} onCommit={(value) => set({ initialLossScale: value })} />}
      </Setting>
      <Setting
        label="Loss scale growth steps"
        explain="After this many overflow-free steps in a row the loss scale doubles (Keras: 2000)."
        disabledReason={kernels.lossScale}
      >
        {(p) => <NumberInput {...p} min={1} max={1_000_000} step={1} value={config.lossScaleGrowthSteps ?? defaultLossScaleGrowthSteps} disabled={p.disabled || locked} onCommit={(value) => set({ lossScaleGrowthSteps: Math.round(value) })} />}
      </Setting>
      {/* Unticking fused kernels also leaves mixed float16, which runs only in them. */}
      <Setting label="Fused kernels" explain="Our own WebGPU kernels for the hot layers (dense + relu, the whole LSTM sequence, output projection with softmax loss) instead of stock tfjs ops." disabledReason={kernels.fusedKernels}>
        {(p) => <input {...p} type="checkbox" checked={config.fusedKernels} disabled={p.disabled || locked} onChange={(e) => set(e.target.checked ? { fusedKernels: true } : { fusedKernels: false, precision: 'float32' })} />}
      </Setting>
      <Setting label="Replicas" explain="Copies of the model training side by side in workers, averaging their gradients every step; 1 trains one model." disabledReason={mirrored}>
        {num('replicas', 1, maxReplicas)}
      </Setting>
      <Setting
        label="Train in"
        explain="A worker keeps this page smooth while training; on this page's own thread the same run freezes the page a little at every step."
        disabledReason={config.replicas > 1 ? 'replicas always train in workers' : null}
      >
        {(p) => (
          <Choice labelledBy={p['aria-labelledby']} describedBy={p['aria-describedby']} name="Train in" value={placement} disabled={p.disabled || locked} onChange={(v) => setPlacement(v)}
            options={[{ value: 'worker', label: 'A worker' }, { value: 'page', label: 'This page' }]} />
        )}
      </Setting>
      <Setting label="All-reduce" explain="How replicas share gradients: a ring over shared memory, or messages through the page." disabledReason={config.replicas > 1 ? null : 'only used with 2 or more replicas'}>
        {(p) => (
          <Choice labelledBy={p['aria-labelledby']} describedBy={p['aria-describedby']} name="All-reduce" value={config.allReduce} disabled={p.disabled || locked} onChange={(allReduce) => set({ allReduce })}
            disabledOptions={ring ? { ring } : {}}
            options={[{ value: 'ring', label: 'Ring (shared memory)' }, { value: 'postMessage', label: 'postMessage' }]} />
        )}
      </Setting>
      <Setting label="Seed" explain="Same seed, same settings: the same run, number for number.">
        {num('seed', 0, 2 ** 31 - 1)}
      </Setting>
      <Setting label="Dropout" explain="Share of numbers switched off at random while training, so the model cannot memorise; the notebook uses 0.4.">
        {num('dropout', 0, 0.9, 0.05)}
      </Setting>
      <Setting label="BLEU sample" explain="Validation images captioned after each epoch for the BLEU chart (0 skips it and saves time).">
        {num('validationSample', 0, 5000)}
      </Setting>
      <Setting
        label="Check replicas every"
        explain="Every this many steps the replicas compare fingerprints of their weights, which must be identical (0 = never)."
        disabledReason={config.replicas > 1 ? null : 'only used with 2 or more replicas'}
      >
        {num('checksumEvery', 0, 1000)}
      </Setting>
    </fieldset>
  );
}
