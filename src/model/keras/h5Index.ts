/**
 * The index of a Keras HDF5 file (layer names, weight names, shapes), read from an open h5wasm File in any of
 * the three layouts Keras writes:
 *
 * - Keras 2 `model.save('model.h5')` (legacy hdf5_format.save_model_to_hdf5): root attributes `model_config`
 *   (JSON) and `keras_version`; group `model_weights` whose attribute `layer_names` lists model.layers; each
 *   layer group lists its weights in the attribute `weight_names` (`lstm/lstm_cell/kernel:0`), the datasets
 *   sitting at `model_weights/<layer>/<weight name>`. Keras 3's `model.save('x.h5')` writes the same, with
 *   names without `:0`.
 * - Weights only (`save_weights('x.h5')`, and the ImageNet files Keras keeps in ~/.keras/models such as
 *   `vgg16_weights_tf_dim_ordering_tf_kernels.h5`): the same without the `model_weights` level: `layer_names`
 *   on the root. The VGG16 files date from Keras 1 and name weights `block1_conv1_W_1:0`; Keras itself
 *   loads them by position, as we do when a name does not say which weight it is.
 * - Keras 3 (`.keras` zip → `model.weights.h5`, or `.weights.h5`; saving_lib): no names at all. A layer's
 *   variables are `layers/<key>/vars/0, 1, …` where <key> is the snake_case class name, numbered per class in
 *   model.layers order (`dense`, `dense_1`, …; saving_lib._save_container_state), and a sub-object's
 *   variables sit under it (the LSTM's cell: `layers/lstm/cell/vars/…`). The layer names come from the
 *   config.json next to it; the variables are named as Keras 3 names them (kernel, bias, …).
 * Attributes longer than HDF5's 64 KB header limit are split by Keras into `layer_names0`, `layer_names1`, …
 */
import type { Dataset as H5Dataset, File as H5File, Group as H5Group } from 'h5wasm';
import { KerasFileError, type KerasFileIndex, type KerasLayerWeights, type KerasWeight } from './kerasFile.ts';

type Entity = ReturnType<H5Group['get']>;

const isGroup = (entity: Entity): entity is H5Group => entity !== null && (entity as { type?: string }).type === 'Group';
const isDataset = (entity: Entity): entity is H5Dataset => entity !== null && (entity as { type?: string }).type === 'Dataset';

/** A string attribute (fixed or variable length, bytes or text), or null. */
function stringAttr(group: H5Group, name: string): string | null {
  const attr = group.attrs[name];
  if (!attr) return null;
  const value = attr.value;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return null;
}

/** A list-of-strings attribute, joined back from Keras' chunks (`name0`, `name1`, …) when it was split. */
function stringListAttr(group: H5Group, name: string): string[] | null {
  const read = (key: string): string[] | null => {
    const attr = group.attrs[key];
    if (!attr) return null;
    const value = attr.value;
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === 'string') return [value];
    return null;
  };
  const whole = read(name);
  if (whole) return whole;
  const parts: string[] = [];
  for (let i = 0; ; i++) {
    const chunk = read(`${name}${i}`);
    if (!chunk) break;
    parts.push(...chunk);
  }
  return parts.length > 0 || group.attrs[`${name}0`] ? parts : null;
}

function parseJsonAttr(text: string | null, what: string, file: string): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new KerasFileError(`${what} is not valid JSON: ${(error as Error).message}`, file);
  }
}

function datasetWeight(file: H5File, path: string, name: string, fileLabel: string): KerasWeight {
  const entity = file.get(path);
  if (!isDataset(entity)) throw new KerasFileError(`the weight ${name} is listed but there is no dataset at ${path}`, fileLabel);
  return { name, path, shape: [...(entity.shape ?? [])] };
}

/** Keras 2 layouts: layer groups under `root`, each listing its datasets in `weight_names`. */
function keras2Layers(file: H5File, root: H5Group, fileLabel: string): KerasLayerWeights[] {
  const names = stringListAttr(root, 'layer_names') ?? [];
  const base = root.path === '/' ? '' : root.path;
  return names.map((layer) => {
    const group = root.get(layer);
    if (!isGroup(group)) throw new KerasFileError(`layer_names lists ${layer} but the file has no group ${base}/${layer}`, fileLabel);
    const weights = (stringListAttr(group, 'weight_names') ?? []).map((name) => datasetWeight(file, `${base}/${layer}/${name}`, name, fileLabel));
    return { layer, className: null, weights };
  });
}

/** Keras 3's `naming.to_snake_case`. */
export function kerasSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

interface ConfigLayer {
  class_name?: string;
  name?: string;
  config?: Record<string, unknown>;
}

/** The names Keras 3 gives a layer's variables, in the order it saves them (trainable, then the others). */
function keras3VariableNames(layer: ConfigLayer): string[] | null {
  const config = layer.config ?? {};
  const bias = config.use_bias === false ? [] : ['bias'];
  switch (layer.class_name) {
    case 'Dense':
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
      return ['kernel', ...bias];
    case 'DepthwiseConv2D':
      return ['depthwise_kernel', ...bias];
    case 'Embedding':
      return ['embeddings'];
    case 'BatchNormalization':
      return [...(config.scale === false ? [] : ['gamma']), ...(config.center === false ? [] : ['beta']), 'moving_mean', 'moving_variance'];
    case 'LSTM':
    case 'LSTMCell':
      return ['kernel', 'recurrent_kernel', ...bias];
    default:
      return null;
  }
}

/** Every `vars` group at or under `group` (its own first, then sub-objects in name order), as [scope, group]. */
function varGroups(group: H5Group, scope: string[] = []): [string[], H5Group][] {
  const found: [string[], H5Group][] = [];
  const own = group.get('vars');
  if (isGroup(own)) found.push([scope, own]);
  for (const key of group.keys().sort()) {
    if (key === 'vars') continue;
    const child = group.get(key);
    if (isGroup(child)) found.push(...varGroups(child, [...scope, key]));
  }
  return found;
}

function keras3Layers(file: H5File, layersGroup: H5Group, config: unknown, fileLabel: string): KerasLayerWeights[] {
  const configLayers = ((config as { config?: { layers?: ConfigLayer[] } } | null)?.config?.layers ?? []).filter(
    (l) => typeof l.class_name === 'string',
  );
  const keys = new Set(layersGroup.keys());
  const used = new Map<string, number>();
  // With config.json: each config layer gets the key Keras 3 saved it under. Without it (a bare
  // .weights.h5): the keys are all there is, and they stand in for the layer names.
  const entries: { layer: string; className: string | null; key: string; config: ConfigLayer | null }[] = configLayers.length
    ? configLayers.map((l) => {
        const snake = kerasSnakeCase(l.class_name!);
        const count = used.get(snake);
        used.set(snake, count === undefined ? 0 : count + 1);
        const key = count === undefined ? snake : `${snake}_${count + 1}`;
        return { layer: l.name ?? (l.config?.name as string), className: l.class_name!, key, config: l };
      })
    : [...keys].map((key) => ({ layer: key, className: null, key, config: null }));
  return entries.map(({ layer, className, key, config: layerConfig }) => {
    const group = keys.has(key) ? layersGroup.get(key) : null;
    if (!isGroup(group)) return { layer, className, weights: [] };
    const weights: KerasWeight[] = [];
    for (const [scope, vars] of varGroups(group)) {
      const indices = vars
        .keys()
        .filter((k) => /^\d+$/.test(k))
        .sort((a, b) => Number(a) - Number(b));
      // A recurrent layer's cell carries the variables; Keras names them under `<layer>/<cell>/…`.
      const isCell = scope.length > 0 && scope[scope.length - 1] === 'cell';
      const names = layerConfig ? keras3VariableNames(layerConfig) : null;
      const prefix = isCell ? `${layer}/${kerasSnakeCase(`${layerConfig?.class_name ?? ''}Cell`) || 'cell'}` : [layer, ...scope].join('/');
      for (const index of indices) {
        const variable = names?.[Number(index)] ?? index;
        weights.push(datasetWeight(file, `${vars.path}/${index}`, `${prefix}/${variable}`, fileLabel));
      }
    }
    return { layer, className, weights };
  });
}

/**
 * Reads the index of an open HDF5 file. `keras3Config` is the parsed config.json of a .keras zip.
 * @throws KerasFileError when the file has none of Keras' layouts.
 */
export function indexKerasH5(file: H5File, fileLabel: string, keras3Config: unknown = null): KerasFileIndex {
  const root: H5Group = file;
  const modelWeights = root.get('model_weights');
  if (isGroup(modelWeights)) {
    const modelConfig = parseJsonAttr(stringAttr(root, 'model_config'), 'the model_config attribute', fileLabel);
    const index: KerasFileIndex = {
      file: fileLabel,
      layout: 'keras2-model',
      kerasVersion: stringAttr(root, 'keras_version') ?? stringAttr(modelWeights, 'keras_version'),
      modelConfig,
      layers: keras2Layers(file, modelWeights, fileLabel),
    };
    return withClassNames(index);
  }
  if (stringListAttr(root, 'layer_names')) {
    return { file: fileLabel, layout: 'keras2-weights', kerasVersion: stringAttr(root, 'keras_version'), modelConfig: null, layers: keras2Layers(file, root, fileLabel) };
  }
  const layers = root.get('layers') ?? root.get('_layer_checkpoint_dependencies');
  if (isGroup(layers)) {
    return { file: fileLabel, layout: 'keras3', kerasVersion: null, modelConfig: keras3Config, layers: keras3Layers(file, layers, keras3Config, fileLabel) };
  }
  const keys = root.keys();
  throw new KerasFileError(
    `an HDF5 file, but not one Keras wrote: no model_weights group, no layer_names attribute, no layers group (it holds ${keys.slice(0, 6).join(', ') || 'nothing'}${keys.length > 6 ? ', …' : ''})`,
    fileLabel,
  );
}

/** Adds each layer's class from a Keras 2 model_config. */
function withClassNames(index: KerasFileIndex): KerasFileIndex {
  const configLayers = (index.modelConfig as { config?: { layers?: ConfigLayer[] } } | null)?.config?.layers ?? [];
  const classOf = new Map(configLayers.map((l) => [l.name ?? (l.config?.name as string), l.class_name ?? null]));
  return { ...index, layers: index.layers.map((l) => ({ ...l, className: classOf.get(l.layer) ?? null })) };
}
