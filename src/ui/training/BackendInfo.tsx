import { useStudio } from '../storeContext.tsx';

/**
 * Which tfjs backend and adapter the run uses, the precision and kernel set its trainer really got, and
 * why it fell back when it did (a fall-back the user's own choice met is a visible notice, not a console line).
 */
export function BackendInfo() {
  const backend = useStudio((s) => s.training.backend);
  const mirrored = useStudio((s) => s.training.mirrored);
  const checksums = useStudio((s) => s.training.checksums);
  const warnings = useStudio((s) => s.training.warnings);
  const faults = useStudio((s) => s.training.faults);
  const skipped = useStudio((s) => s.training.skippedSteps);
  const askedForKernels = useStudio((s) => s.training.configGiven.some((key) => key === 'fusedKernels' || key === 'precision'));
  if (!backend && !mirrored) return null;
  return (
    <div className="sp-status" data-testid="training-backend">
      {backend ? (
        <p>
          Backend: <b>{backend.backend}</b>
          {backend.adapter ? ` on ${backend.adapter}` : ''}
          {backend.fallbackReason ? <span className="sp-reason"> (fell back: {backend.fallbackReason})</span> : null}
          {backend.kernels ? (
            <>
              {' · '}precision <b data-testid="training-precision">{backend.precision ?? 'float32'}</b>, kernels <b data-testid="training-kernels">{backend.kernels}</b>
            </>
          ) : null}
        </p>
      ) : null}
      {backend?.kernelFallbackReason ? (
        // A notice when the user chose the precision or the kernels; on the defaults (fused kernels on, which
        // only WebGPU has) the same reason is a plain line: nothing the user did needs undoing.
        askedForKernels ? (
          <p className="sp-notice" role="status" data-testid="kernel-fallback" data-asked="true">
            Not what the settings asked for: {backend.kernelFallbackReason}.
          </p>
        ) : (
          <p data-testid="kernel-fallback" data-asked="false">
            Why these kernels: {backend.kernelFallbackReason}.
          </p>
        )
      ) : null}
      {mirrored ? (
        <p>
          {mirrored.replicas} {mirrored.replicas === 1 ? 'replica in a worker' : 'replicas'} ({mirrored.backend})
          {mirrored.replicas > 1 ? (
            <>
              , all-reduce: <b>{mirrored.allReduce}</b>
            </>
          ) : null}
          {mirrored.fallbackReason ? <span className="sp-reason"> ({mirrored.fallbackReason})</span> : null}
          {checksums ? ` · weights ${checksums.identical ? 'identical' : 'DIFFER'} at step ${checksums.step}` : ''}
        </p>
      ) : null}
      {skipped > 0 ? <p>{skipped} float16 steps skipped (gradient overflow; the loss scale went down).</p> : null}
      {faults.length || warnings.length ? (
        <ul className="sp-warnings">
          {faults.map((f, i) => (
            <li key={`f${i}`} className="sp-warning">
              Replica {f.replica} {f.cause} at step {f.step}: {f.message}
            </li>
          ))}
          {warnings.map((w, i) => (
            <li key={`w${i}`} className="sp-warning">
              {w.replica !== undefined ? `Replica ${w.replica}: ` : ''}
              {w.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
