import { describe, expect, it } from 'vitest';
import { scoreCaptions } from '../../../../src/core/metrics/bleu';
import { constantCaptionBaseline } from '../../../../src/core/metrics/constantCaption';

const references = new Map([
  ['a.png', ['startseq a red circle in the centre endseq', 'startseq there is a red circle endseq']],
  ['b.png', ['startseq a blue square on the left endseq', 'startseq a blue square endseq']],
]);

describe('constant-caption baseline', () => {
  it('is the best score of any one candidate said for every image, per BLEU order', () => {
    const candidates = ['startseq a red circle endseq', 'startseq a blue square on the left endseq', 'startseq dog endseq', 'startseq a red circle endseq'];
    const baseline = constantCaptionBaseline(references, candidates, 'standard');
    expect(baseline.candidates).toBe(3);
    const each = [...new Set(candidates)].map((c) =>
      scoreCaptions({ references, hypotheses: new Map([...references.keys()].map((n) => [n, c])), protocol: 'standard' }),
    );
    expect(baseline.best.bleu1).toBe(Math.max(...each.map((s) => s.bleu1)));
    expect(baseline.best.bleu4).toBe(Math.max(...each.map((s) => s.bleu4)));
    expect(baseline.bestForBleu1).toBe(candidates[each.findIndex((s) => s.bleu1 === baseline.best.bleu1)]);
    expect(baseline.best.bleu1).toBeLessThan(1); // one caption cannot fit both pictures
    expect(() => constantCaptionBaseline(references, [], 'standard')).toThrow(/no candidate/);
  });
});
