import { Bar, BarChart, CartesianGrid, Legend, ReferenceArea, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { Protocol } from '../../core/data/types.ts';
import { referenceLines } from '../../store/slices/evaluation.ts';
import { useStudio } from '../storeContext.tsx';
import { ChartBox, fmt } from '../training/ChartBox.tsx';

const METRICS = ['bleu1', 'bleu2', 'bleu3', 'bleu4'] as const;
const LABEL: Record<(typeof METRICS)[number], string> = { bleu1: 'BLEU-1', bleu2: 'BLEU-2', bleu3: 'BLEU-3', bleu4: 'BLEU-4' };
const PROTOCOL_NAME: Record<Protocol, string> = { kaggle: 'Kaggle notebook protocol', standard: 'Standard protocol' };

/** BLEU-1..4 of one protocol as bars, with the published figures of that protocol as reference lines. */
function ProtocolChart({ protocol }: { protocol: Protocol }) {
  const result = useStudio((s) => s.evaluation.results[protocol]);
  const rows = METRICS.map((m) => ({ metric: LABEL[m], model: result ? result.bleu[m] : 0 }));
  const refs = referenceLines.filter((r) => r.protocol === protocol);
  return (
    <ChartBox
      title={PROTOCOL_NAME[protocol]}
      testId={`chart-bleu-${protocol}`}
      empty={result ? null : 'Run the evaluation to see this protocol.'}
      summary={result ? METRICS.map((m) => `${LABEL[m]} ${fmt(result.bleu[m])}`).join(', ') : ''}
      data={result ? { bleu1: result.bleu.bleu1, bleu4: result.bleu.bleu4, images: result.images.length } : {}}
    >
      <BarChart data={rows}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="metric" />
        <YAxis domain={[0, 0.8]} />
        <Tooltip formatter={(v) => fmt(v as number)} />
        <Legend />
        <Bar dataKey="model" name="this model" fill="#1a5fb4" isAnimationActive={false} />
        {refs.map((r) =>
          r.valueHigh !== undefined ? (
            <ReferenceArea key={r.label} x1={LABEL[r.metric]} x2={LABEL[r.metric]} y1={r.value} y2={r.valueHigh} fill="#c01c28" fillOpacity={0.3} label={{ value: r.label, position: 'top', fontSize: 12 }} />
          ) : (
            <ReferenceLine key={r.label} y={r.value} stroke="#c01c28" strokeDasharray="6 3" label={{ value: `${r.label} ${r.value}`, position: 'insideTopRight', fontSize: 12 }} />
          ),
        )}
      </BarChart>
    </ChartBox>
  );
}

export function BleuComparison() {
  const results = useStudio((s) => s.evaluation.results);
  return (
    <>
      <div className="sp-grid2">
        <ProtocolChart protocol="kaggle" />
        <ProtocolChart protocol="standard" />
      </div>
      <table className="sp-table" data-testid="bleu-table">
        <caption>BLEU on the test split (0 to 1; papers print it ×100)</caption>
        <thead>
          <tr>
            <th scope="col">Model</th>
            {METRICS.map((m) => (
              <th key={m} scope="col">{LABEL[m]}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {(['kaggle', 'standard'] as const).map((p) => (
            <tr key={p} data-testid={`bleu-row-${p}`}>
              <td>This model, {PROTOCOL_NAME[p].toLowerCase()}{results[p] ? ` (${results[p]!.images.length} images)` : ''}</td>
              {METRICS.map((m) => (
                <td key={m}>{fmt(results[p]?.bleu[m])}</td>
              ))}
            </tr>
          ))}
          {referenceLines.map((r) => (
            <tr key={r.label} className="sp-muted">
              <td>
                {r.label} ({r.protocol}) <small>{r.source}</small>
              </td>
              {METRICS.map((m) => (
                <td key={m}>{m === r.metric ? (r.valueHigh !== undefined ? `${r.value}–${r.valueHigh}` : r.value) : ''}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
