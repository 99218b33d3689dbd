/**
 * The training settings `train` and `export-run` both take (the run `export-run` writes is the run `train`
 * would do, so the two read them alike): the options, their usage lines, how they are read, and the data's
 * defaults for what was not given (defaultTrainConfigFor, the same function as the studio's).
 */
import type { ModelSizes } from '../engine/training/captionData.ts';
import { defaultTrainConfig, defaultTrainConfigFor, NARROW_FEATURES, SMALL_DATASET_IMAGES, type TrainConfig } from '../engine/training/trainer.ts';
import { choiceOption, integerOption, numberOption } from './args.ts';

/** util.parseArgs options of the shared settings. */
export const TRAIN_SETTING_OPTIONS = {
  layout: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  protocol: { type: 'string' },
  dropout: { type: 'string' },
  units: { type: 'string' },
  embed: { type: 'string' },
  seed: { type: 'string' },
  precision: { type: 'string' },
  'loss-scale': { type: 'string' },
  'loss-scale-growth': { type: 'string' },
} as const;

const small = defaultTrainConfigFor({ trainImages: 0, featureDim: NARROW_FEATURES });
const narrow = defaultTrainConfigFor({ trainImages: SMALL_DATASET_IMAGES, featureDim: 0 });

/** Usage lines of the shared settings (`precision` is said by each command: what it means differs). */
export const TRAIN_SETTINGS_USAGE = `  --layout L        sequence (whole captions, default) or prefix (the notebook's one sample per prefix)
  --epochs N        passes over the training split (default: ${defaultTrainConfig.epochs}, or ${small.epochs} below ${SMALL_DATASET_IMAGES} training images)
  --batch N         images per step, all their captions included (default: ${defaultTrainConfig.batchSize}, or ${small.batchSize} below ${SMALL_DATASET_IMAGES}
                    training images)
  --lr X            Adam learning rate (default: ${defaultTrainConfig.learningRate}, or ${small.learningRate} below ${SMALL_DATASET_IMAGES} training images)
  --protocol P      standard (default: dataset splits, markers stripped for BLEU) or kaggle (the notebook's)
  --dropout X       rate of both dropout layers (default: ${defaultTrainConfig.dropout}, or ${narrow.dropout} on features narrower than ${NARROW_FEATURES})
  --units N         LSTM/dense width (default 256);  --embed N  embedding width (default 256)
  --seed N          seed of weights, shuffling and dropout (default ${defaultTrainConfig.seed})`;

type SettingValues = { [K in keyof typeof TRAIN_SETTING_OPTIONS]?: string };

export interface TrainSettings {
  config: TrainConfig;
  sizes: Required<ModelSizes>;
  /** The settings the command line gave; the others default by the data (withDataDefaults). */
  given: { epochs: boolean; batch: boolean; lr: boolean; dropout: boolean };
}

/** The shared settings read from parsed options; a value out of range is a usage error naming the option. */
export function readTrainSettings(values: SettingValues): TrainSettings {
  return {
    config: {
      ...defaultTrainConfig,
      layout: choiceOption(values.layout, 'layout', ['sequence', 'prefix'] as const, defaultTrainConfig.layout),
      epochs: integerOption(values.epochs, 'epochs', defaultTrainConfig.epochs, 1, 100000),
      batchSize: integerOption(values.batch, 'batch', defaultTrainConfig.batchSize, 1, 100000),
      learningRate: numberOption(values.lr, 'lr', defaultTrainConfig.learningRate, 1e-7, 10),
      protocol: choiceOption(values.protocol, 'protocol', ['standard', 'kaggle'] as const, defaultTrainConfig.protocol),
      dropout: numberOption(values.dropout, 'dropout', defaultTrainConfig.dropout, 0, 0.95),
      seed: integerOption(values.seed, 'seed', defaultTrainConfig.seed, 0, 2 ** 31 - 1),
      precision: choiceOption(values.precision, 'precision', ['float32', 'mixed_float16'] as const, 'float32'),
      initialLossScale: numberOption(values['loss-scale'], 'loss-scale', 2 ** 15, 1, 2 ** 64),
      lossScaleGrowthSteps: integerOption(values['loss-scale-growth'], 'loss-scale-growth', 2000, 1, 1e9),
    },
    sizes: { units: integerOption(values.units, 'units', 256, 1, 8192), embedDim: integerOption(values.embed, 'embed', 256, 1, 8192) },
    given: { epochs: values.epochs !== undefined, batch: values.batch !== undefined, lr: values.lr !== undefined, dropout: values.dropout !== undefined },
  };
}

/**
 * Epochs, batch, learning rate and dropout by the data where the command line did not give them (defaultTrainConfigFor),
 * and the line that says so.
 */
export function withDataDefaults(settings: TrainSettings, data: { trainImages: number; featureDim: number }, command: string): { config: TrainConfig; line: string } {
  const { given } = settings;
  const dataDefaults = defaultTrainConfigFor(data);
  const config = {
    ...settings.config,
    ...(given.epochs ? {} : { epochs: dataDefaults.epochs }),
    ...(given.batch ? {} : { batchSize: dataDefaults.batchSize }),
    ...(given.lr ? {} : { learningRate: dataDefaults.learningRate }),
    ...(given.dropout ? {} : { dropout: dataDefaults.dropout }),
  };
  const line =
    `${command}: ${config.epochs} epochs, batch ${config.batchSize}, learning rate ${config.learningRate}, dropout ${config.dropout}` +
    ` (defaults for ${data.trainImages} training images and ${data.featureDim}-d features where not given)\n`;
  return { config, line };
}
