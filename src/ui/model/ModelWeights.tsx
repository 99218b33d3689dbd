import type { ModelInfo } from '../../store/slices/model.ts';

/** The model's layers as the notebook names them, with their weight shapes and parameter counts. */
export function ModelWeights({ info }: { info: ModelInfo }) {
  if (!info.weights?.length) return null;
  const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const total = info.weights.reduce((n, w) => n + count(w.shape), 0);
  return (
    <table className="sp-table" data-testid="model-weights">
      <caption>
        {total.toLocaleString('en')} trainable parameters (the image network's are not counted: it only makes features)
      </caption>
      <thead>
        <tr>
          <th scope="col">Weight</th>
          <th scope="col">Shape</th>
          <th scope="col">Parameters</th>
        </tr>
      </thead>
      <tbody>
        {info.weights.map((w) => (
          <tr key={w.name}>
            <td>
              <code>{w.name}</code>
            </td>
            <td>[{w.shape.join(' × ')}]</td>
            <td>{count(w.shape).toLocaleString('en')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
