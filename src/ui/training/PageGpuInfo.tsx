import { useStudio } from '../storeContext.tsx';

/**
 * What this page's backend is before any run: the tfjs backend, the WebGPU adapter with its features and
 * limits (folded), and why earlier backends were passed over. A software adapter is named as such, so its
 * speeds are not read as GPU speeds.
 */
export function PageGpuInfo() {
  const page = useStudio((s) => s.training.pageBackend);
  if (!page) return <p className="sp-status" data-testid="page-gpu" data-backend="">Choosing this page's backend…</p>;
  return (
    <details className="sp-status" data-testid="page-gpu" data-backend={page.backend} data-shader-f16={String(page.shaderF16)}>
      <summary>
        This page computes on <b>{page.backend}</b>
        {page.adapter ? ` (${page.adapter})` : ''}
        {page.isSoftware ? <span className="sp-reason"> a CPU emulation of a GPU: its speeds are not GPU speeds</span> : null}
        {page.fallbackReason ? <span className="sp-reason"> (passed over: {page.fallbackReason})</span> : null}
      </summary>
      {page.features ? (
        <p>
          Features: {page.features.length ? page.features.join(', ') : 'none'}
          {page.shaderF16 ? '' : ' (no shader-f16: mixed float16 cannot run here)'}
        </p>
      ) : null}
      {page.limits ? (
        <table className="sp-table">
          <tbody>
            {Object.entries(page.limits).map(([name, value]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>{value.toLocaleString('en-US')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </details>
  );
}
