import { parse } from 'csv-parse/sync';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import {
  DEMO_COLOURS,
  DEMO_MARKER_FILE,
  parseDemoMarker,
  DEMO_TEMPLATE_NAMES,
  demoFolder,
  generateDemoDataset,
  generateDemoScenes,
} from '../../../../src/core/data/demo';
import { loadDataset } from '../../../../src/core/data/load';
import { readImageSize } from '../../../../src/core/data/imageInfo';

const files = generateDemoDataset({ images: 300, seed: 1 });
const scenes = generateDemoScenes({ images: 300, seed: 1 });

describe('demo dataset', () => {
  it('writes a Flickr8K-style folder with 70/15/15 splits', () => {
    const images = Object.keys(files).filter((p) => p.startsWith('Images/'));
    expect(images).toHaveLength(300);
    expect(images.every((p) => /^Images\/demo_\d{4}\.png$/.test(p))).toBe(true);
    const lines = (name: string) => (files[name] as string).trim().split('\n');
    expect(lines('Flickr_8k.trainImages.txt')).toHaveLength(210);
    expect(lines('Flickr_8k.devImages.txt')).toHaveLength(45);
    expect(lines('Flickr_8k.testImages.txt')).toHaveLength(45);
    const all = [...lines('Flickr_8k.trainImages.txt'), ...lines('Flickr_8k.devImages.txt'), ...lines('Flickr_8k.testImages.txt')];
    expect(new Set(all).size).toBe(300);
  });

  it('captions.txt is RFC 4180 CSV with 5 captions per image, quoted where a caption has a comma', () => {
    const text = files['captions.txt'] as string;
    expect(text.startsWith('image,caption\n')).toBe(true);
    const rows = parse(text, { columns: true }) as { image: string; caption: string }[];
    expect(rows).toHaveLength(1500);
    const byImage = new Map<string, string[]>();
    for (const row of rows) byImage.set(row.image, [...(byImage.get(row.image) ?? []), row.caption]);
    expect(byImage.size).toBe(300);
    for (const scene of scenes) expect(byImage.get(scene.name)).toEqual(scene.captions);
    const withComma = rows.filter((r) => r.caption.includes(','));
    expect(withComma.length).toBeGreaterThan(0);
    for (const row of withComma) expect(text).toContain(`${row.image},"${row.caption}"`);
  });

  it('is deterministic: same seed, identical bytes; another seed, other images', () => {
    const again = generateDemoDataset({ images: 300, seed: 1 });
    expect(Object.keys(again)).toEqual(Object.keys(files));
    for (const [path, content] of Object.entries(files)) expect(again[path], path).toEqual(content);
    const other = generateDemoDataset({ images: 300, seed: 2 });
    expect(other['captions.txt']).not.toEqual(files['captions.txt']);
    expect(other['Images/demo_0001.png']).not.toEqual(files['Images/demo_0001.png']);
  });

  it('captions are varied and grammatical-looking, each naming what is drawn', () => {
    const used = new Set(scenes.flatMap((s) => s.templates));
    expect(used.size).toBe(DEMO_TEMPLATE_NAMES.length);
    expect(used.size).toBeGreaterThanOrEqual(12);
    for (const scene of scenes) {
      expect(new Set(scene.captions).size, scene.name).toBe(5);
      for (const caption of scene.captions) {
        expect(caption).toMatch(/^[a-z][a-z ,:]*[a-z]$/);
        expect(caption).not.toMatch(/\ba [aeiou]|\ban [^aeiou ]|  /); // articles agree, no double spaces
        // Every caption names each object's shape and colour.
        for (const o of scene.objects) {
          expect(caption, `${scene.name}: ${caption}`).toContain(o.shape);
          expect(caption, `${scene.name}: ${caption}`).toContain(o.colour);
        }
      }
      const text = scene.captions.join(' ');
      for (const o of scene.objects) expect(text).toContain(o.size);
    }
    // The upper or left shape of a pair is always named first: the picture decides the order of a caption.
    for (const scene of scenes.filter((s) => s.objects.length === 2)) expect(['above', 'left-of']).toContain(scene.relation);
    const pairs = scenes.filter((s) => s.objects.length === 2).length;
    expect(pairs).toBeGreaterThan(100);
    expect(pairs).toBeLessThan(250);
  });

  it('images decode with fast-png and show the described colours where the shapes are', () => {
    for (const scene of scenes.slice(0, 60)) {
      const png = decode(files[`Images/${scene.name}`] as Uint8Array);
      expect([png.width, png.height, png.channels]).toEqual([128, 128, 3]);
      expect(readImageSize(files[`Images/${scene.name}`] as Uint8Array)).toEqual({ width: 128, height: 128, type: 'png' });
      for (const o of scene.objects) {
        const p = (Math.round(o.y) * 128 + Math.round(o.x)) * 3;
        expect([png.data[p], png.data[p + 1], png.data[p + 2]], `${scene.name} ${o.colour} ${o.shape}`).toEqual([
          ...DEMO_COLOURS[o.colour],
        ]);
      }
      // Positions and relations in the captions match the geometry.
      const [a, b] = scene.objects;
      if (scene.position === 'left') expect(a.x).toBeLessThan(50);
      if (scene.position === 'right') expect(a.x).toBeGreaterThan(78);
      if (scene.position === 'top') expect(a.y).toBeLessThan(50);
      if (scene.position === 'bottom') expect(a.y).toBeGreaterThan(78);
      if (scene.relation === 'above') expect(a.y).toBeLessThan(b.y);
      if (scene.relation === 'below') expect(a.y).toBeGreaterThan(b.y);
      if (scene.relation === 'left-of') expect(a.x).toBeLessThan(b.x);
      if (scene.relation === 'right-of') expect(a.x).toBeGreaterThan(b.x);
    }
  });

  it('marks the folder as the demo (demo.json: how to draw its scenes again)', () => {
    const marker = parseDemoMarker(files[DEMO_MARKER_FILE] as string);
    expect(marker).toMatchObject({ images: 300, seed: 1, imageSize: 128 });
    expect(parseDemoMarker('{"generator":"someone else","version":1,"images":3,"seed":1,"imageSize":128}')).toBeNull();
    expect(parseDemoMarker('not json')).toBeNull();
  });

  it('rejects bad options', () => {
    expect(() => generateDemoScenes({ images: 0 })).toThrow(/images/);
    expect(() => generateDemoScenes({ imageSize: 8 })).toThrow(/imageSize/);
  });

  it('loads back through loadDataset as a Kaggle CSV folder without problems', async () => {
    const ds = await loadDataset(demoFolder({ images: 40, seed: 5 }));
    expect(ds.format).toBe('kaggle-csv');
    expect(ds.images).toHaveLength(40);
    expect(ds.problems).toEqual([]);
    expect(ds.images.every((img) => img.captions.length === 5 && img.file !== null && img.split !== null)).toBe(true);
  });
});
