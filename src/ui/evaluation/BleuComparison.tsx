import { Bar, BarChart, CartesianGrid, Legend, ReferenceArea, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { Protocol } from '../../core/data/types.ts';
import { belongsElsewhere, currentOwner, referenceLines, type ProtocolResult } from '../../store/slices/evaluation.ts';
import { useStudio } from '../storeContext.tsx';
import { ChartBox, fmt } from '../training/ChartBox.tsx';

const METRICS = ['bleu1', 'bleu2', 'bleu3', 'bleu4'] as const;
const LABEL: Record<(typeof METRICS)[number], string> = { bleu1: 'BLEU-1', bleu2: 'BLEU-2', bleu3: 'BLEU-3', bleu4: 'BLEU-4' };
const PROTOCOL_NAME: Record<Protocol, string> = { kaggle: 'Kaggle notebook protocol', standard: 'Standard protocol' };

/** A protocol's result and, when it is not the loaded model's on the loaded dataset, what it belongs to. */
function useResult(protocol: Protocol): { result: ProtocolResult | undefined; elsewhere: string | null } {
  const result = useStudio((s) => s.evaluation.results[protocol]);
  const elsewhere = useStudio((s) => (result ? belongsElsewhere(result.owner, currentOwner(s)) : null));
  return { result, elsewhere };
}

/** BLEU-1..4 of one protocol as bars, with the published figures of that protocol as reference lines. */
function ProtocolChart({ protocol }: { protocol: Protocol }) {
  const { result, elsewhere } = useResult(protocol);
  const bleu = result?.bleu ?? null;
  const rows = METRICS.map((m) => ({ metric: LABEL[m], model: bleu ? bleu[m] : 0 }));
  const refs = referenceLines.filter((r) => r.protocol === protocol);
  return (
    <ChartBox
      title={elsewhere ? `${PROTOCOL_NAME[protocol]}: earlier result, ${elsewhere}` : PROTOCOL_NAME[protocol]}
      testId={`chart-bleu-${protocol}`}
      empty={!result ? 'Run the evaluation to see this protocol.' : bleu ? null : `${result.empty ?? 'nothing scored'}${elsewhere ? ` (${elsewhere})` : ''}.`}
      summary={bleu ? METRICS.map((m) => `${LABEL[m]} ${fmt(bleu[m])}`).join(', ') : ''}
      data={bleu ? { bleu1: bleu.bleu1, bleu4: bleu.bleu4, images: result!.images.length, current: String(!elsewhere) } : {}}
    >
      <BarChart data={rows}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="metric" />
        <YAxis domain={[0, 0.8]} />
        <Tooltip formatter={(v) => fmt(v as number)} />
        <Legend />
        <Bar dataKey="model" name={elsewhere ? 'earlier model or dataset' : 'this model'} fill={elsewhere ? '#8a8f98' : '#1a5fb4'} isAnimationActive={false} />
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

/** One protocol's row: this model's numbers, an empty split said as such, or an earlier result named as one. */
function ResultRow({ protocol }: { protocol: Protocol }) {
  const { result, elsewhere } = useResult(protocol);
  const name = PROTOCOL_NAME[protocol].toLowerCase();
  let label = `This model, ${name}`;
  if (result && elsewhere) label = `Earlier result, ${name}: ${elsewhere}`;
  if (result?.bleu) label += ` (${result.images.length} images)`;
  else if (result?.empty) label += `: ${result.empty}`;
  return (
    <tr data-testid={`bleu-row-${protocol}`} data-current={result ? String(!elsewhere) : undefined} className={elsewhere ? 'sp-muted' : undefined}>
      <td>{label}</td>
      {METRICS.map((m) => (
        <td key={m}>{fmt(result?.bleu?.[m])}</td>
      ))}
    </tr>
  );
}

export function BleuComparison() {
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
          <ResultRow protocol="kaggle" />
          <ResultRow protocol="standard" />
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
