/**
 * Loss and BLEU of caption-model weights on this thread: the in-process trainer's (its live weights) and a
 * mirrored run's (replica 0's weights, copied into a model held here), so both trainers report the same
 * numbers for the same weights. Captions come from the one Captioner (batched greedy decoding).
 */
import { nextMacrotask } from '../../core/macrotask.ts';
import { scoreCaptions } from '../../core/metrics/bleu.ts';
import { batchTokenCount, makeCaptionBatch } from '../../model/batches.ts';
import type { CaptionModel } from '../../model/captionModel.ts';
import { Captioner } from '../../model/captioner.ts';
import { lossSum } from '../../model/gradients.ts';
import type { CaptionDataset, CaptionExample } from './captionData.ts';
import { zeroBleu, type Bleu, type TrainConfig } from './trainer.ts';

/** What an epoch reports: null where there is nothing to measure (no images, or a BLEU sample of 0). */
export interface EpochEvaluation {
  loss: number | null;
  bleu: Bleu | null;
  /** Captions of the run's fixed sample images, when it has some (what a student watches improve). */
  samples?: SampleCaption[];
}

export interface SampleCaption {
  name: string;
  caption: string;
}

export class CaptionEvaluator {
  private readonly captioner: Captioner;

  /** @param model weights to evaluate, owned by the caller (they may change between calls) */
  constructor(
    readonly model: CaptionModel,
    private readonly data: CaptionDataset,
    private readonly config: Pick<TrainConfig, 'batchSize' | 'layout'>,
  ) {
    this.captioner = new Captioner(model, data.tokenizer, { startToken: data.startToken, endToken: data.endToken }, false);
  }

  /** After an epoch: loss over the validation split (the test split when there is none), BLEU of its first `bleuLimit` images. */
  validation(bleuLimit: number): Promise<EpochEvaluation> {
    const { data } = this;
    return this.examples(data.val.length ? data.val : data.test, bleuLimit);
  }

  /** Trainer.evaluate: loss and BLEU over the split's first `limit` images (NaN and zeros when it has none). */
  async split(split: 'val' | 'test', limit = Infinity): Promise<{ loss: number; bleu: Bleu }> {
    const examples = this.data[split].slice(0, limit);
    const result = await this.examples(examples, examples.length);
    return { loss: result.loss ?? NaN, bleu: result.bleu ?? zeroBleu() };
  }

  /** Mean loss per real token over the examples, and BLEU-1..4 of greedy captions of the first `bleuLimit`. */
  async examples(examples: CaptionExample[], bleuLimit: number): Promise<EpochEvaluation> {
    if (examples.length === 0) return { loss: null, bleu: null };
    const { data, config } = this;
    let total = 0;
    let tokens = 0;
    for (let i = 0; i < examples.length; i += config.batchSize) {
      // A turn for the page between batches (see greedyDecode): validation runs on the page's thread.
      if (i > 0) await nextMacrotask();
      const batch = makeCaptionBatch(examples.slice(i, i + config.batchSize), data.featureDim);
      if (batchTokenCount(batch) === 0) continue;
      const sum = lossSum(this.model.variables, this.model.config, batch, config.layout);
      total += (await sum.data())[0];
      sum.dispose();
      tokens += batchTokenCount(batch);
    }
    const bleu = bleuLimit > 0 ? await this.bleuOf(examples.slice(0, bleuLimit)) : null;
    return { loss: tokens ? total / tokens : null, bleu };
  }

  /** Greedy captions of the sample images as a person reads them (no markers); both trainers report these per epoch. */
  async sampleCaptions(samples: CaptionExample[]): Promise<SampleCaption[]> {
    if (samples.length === 0) return [];
    const captions = await this.captioner.caption(samples.map((e) => e.features));
    return samples.map((e, k) => ({ name: e.name, caption: captions[k].text }));
  }

  /** Greedy captions of the examples, as text with the markers the protocol scores. */
  async captionTexts(examples: CaptionExample[]): Promise<Map<string, string>> {
    const captions = await this.captioner.caption(examples.map((e) => e.features));
    return new Map(examples.map((e, k) => [e.name, captions[k].markedText]));
  }

  private async bleuOf(examples: CaptionExample[]): Promise<Bleu> {
    const { data } = this;
    const score = scoreCaptions({
      references: new Map(examples.map((e) => [e.name, e.references])),
      hypotheses: await this.captionTexts(examples),
      protocol: data.protocol,
      startToken: data.startToken,
      endToken: data.endToken,
    });
    return { bleu1: score.bleu1, bleu2: score.bleu2, bleu3: score.bleu3, bleu4: score.bleu4 };
  }
}
