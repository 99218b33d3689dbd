/**
 * What a model archive says about the features its model was trained on (model.json's meta.features, as
 * the studio and `caption-studio train` record it), read without unpacking the weights.
 */
import { unzipModelJson } from '../model/archive.ts';
import type { FeatureIdentity } from '../model/backbones/types.ts';

/** A FeatureIdentity from untrusted JSON; null when the fields are not all there. */
export function featureIdentityFrom(value: unknown): FeatureIdentity | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const weights = v.weights;
  const weightsOk =
    weights === 'random' ||
    (typeof weights === 'object' && weights !== null && typeof (weights as { kind?: unknown }).kind === 'string' && typeof (weights as { location?: unknown }).location === 'string');
  if (
    (v.backbone !== 'vgg16' && v.backbone !== 'mobilenet' && v.backbone !== 'demo') ||
    typeof v.backboneId !== 'string' ||
    typeof v.weightsId !== 'string' ||
    typeof v.featureDim !== 'number' ||
    typeof v.inputSize !== 'number' ||
    !weightsOk
  ) {
    return null;
  }
  return {
    backbone: v.backbone,
    backboneId: v.backboneId,
    weights: weights as FeatureIdentity['weights'],
    weightsId: v.weightsId,
    featureDim: v.featureDim,
    inputSize: v.inputSize,
    ...(v.resize === 'nearest' || v.resize === 'bilinear' ? { resize: v.resize } : {}),
  };
}

/** The feature identity recorded in an archive's model.json; null when it records none or is not readable. */
export function featureIdentityOfArchive(bytes: Uint8Array): FeatureIdentity | null {
  try {
    const modelJson = unzipModelJson(bytes, 'model archive');
    if (!modelJson) return null;
    const parsed = JSON.parse(new TextDecoder().decode(modelJson)) as { meta?: { features?: unknown } };
    return featureIdentityFrom(parsed.meta?.features);
  } catch {
    // Not a zip, a zip bomb or not JSON: the import itself reports that, with the file's name.
    return null;
  }
}
