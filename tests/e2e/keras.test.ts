/**
 * Keras files picked in the real page (built app, `vite preview`, headless Debian Chromium): the Model panel
 * imports the notebook's .keras with its tokenizer.json, and the Features panel extracts with a MobileNet
 * .h5 and refuses a _notop VGG16 .h5 with the sentence naming the right file. The page reads them through
 * its Keras worker (WORKERFS: the file is read in place). Fixture files: tests/fixtures/make_keras_files.py.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessPresent } from '../prerequisites.ts';
import { chromiumMissing, openPage, screenshot, useStudioApp, tab } from './harness/index.ts';

const MINUTE = 60_000;
const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import h5py, numpy'], { stdio: 'ignore' }).status === 0);
const missing = chromiumMissing || (python ? '' : 'a python3 with h5py and numpy (Debian: python3-h5py python3-numpy) to write the Keras fixture files');

let dir: string;


describe.skipIf(skipUnlessPresent(missing, 'Chromium and python3 with h5py'))('Keras files in the page (Chromium)', () => {
  const app = useStudioApp({ missing });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keras-e2e-'));
    const run = spawnSync(python!, [resolve(__dirname, '..', 'fixtures', 'make_keras_files.py'), dir], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`make_keras_files.py failed: ${run.stderr}`);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('imports the notebook .keras + tokenizer.json; extracts with a MobileNet .h5; refuses a _notop VGG16 .h5', { timeout: 10 * MINUTE }, async () => {
    const { page, errors } = await openPage(app.browser, `${app.served.url}?backend=wasm`);
    await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: 2 * MINUTE });

    await tab(page, 'Model');
    await page.getByTestId('model-import-notebook-input').setInputFiles([join(dir, 'notebook.keras'), join(dir, 'tokenizer.json')]);
    await page.locator('[data-testid=model-info][data-source=notebook]').waitFor({ timeout: 2 * MINUTE });
    const info = (await page.getByTestId('model-info').textContent()) ?? '';
    expect(info).toContain('notebook.keras');
    expect(info).toMatch(/vocabulary 21 words, captions up to 7 tokens, 12 image features/);
    expect(await page.getByTestId('model-weights').textContent()).toContain('lstm/recurrent_kernel');
    await screenshot(page, 'keras-1-model.png');

    await tab(page, 'Features');
    await page.getByRole('radio', { name: /VGG16/ }).check();
    await page.getByRole('radio', { name: /Keras \.h5 file/ }).check();
    await page.getByLabel('Weight files').setInputFiles(join(dir, 'vgg16_tiny_notop.h5'));
    await page.getByTestId('extract-start').click();
    await page.getByTestId('features-error').waitFor({ timeout: 2 * MINUTE });
    expect(await page.getByTestId('features-error').textContent()).toMatch(/without its top.*vgg16_weights_tf_dim_ordering_tf_kernels\.h5/);

    await page.getByRole('radio', { name: /MobileNet/ }).check();
    await page.getByLabel('Weight files').setInputFiles(join(dir, 'mobilenet_tiny.h5'));
    await page.getByTestId('extract-start').click();
    await page.locator('[data-testid=features-status][data-status=done]').waitFor({ timeout: 6 * MINUTE });
    expect(await page.getByTestId('features-weights').textContent()).toContain('mobilenet_tiny.h5');
    expect(await page.getByTestId('features-status').textContent()).toContain('256 numbers per image');
    await screenshot(page, 'keras-2-features.png');
    expect(errors).toEqual([]);
    await page.close();
  });
});
