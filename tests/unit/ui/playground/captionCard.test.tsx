/** A playground card as the page renders it (server-rendered markup, no browser needed). */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { CaptionCard } from '../../../../src/ui/playground/CaptionSteps.tsx';
import type { PlaygroundItem } from '../../../../src/store/slices/playground.ts';

const item: PlaygroundItem = {
  id: 'img-1',
  name: 'dog.jpg',
  imageUrl: null,
  status: 'done',
  caption: 'a dog runs',
  steps: [
    { word: 'a', top: [{ word: 'a', probability: 0.6 }, { word: 'the', probability: 0.3 }] },
    { word: 'dog', top: [{ word: 'dog', probability: 0.5 }] },
    { word: 'runs', top: [{ word: 'runs', probability: 0.4 }] },
  ],
  error: null,
};

describe('playground card', () => {
  it('shows the caption, and folds the top words per step one click away', () => {
    const html = renderToStaticMarkup(<CaptionCard item={item} onRemove={() => undefined} />);
    expect(html).toContain('a dog runs');
    const details = html.match(/<details[^>]*>/)?.[0] ?? '';
    expect(details).toContain('data-testid="playground-steps"');
    expect(details).not.toMatch(/\bopen\b/);
    expect(html).toContain('<summary>Top words at each of the 3 steps</summary>');
    // The words are there (for the click), not dropped.
    expect(html).toContain('the 30.0%');
  });
});
