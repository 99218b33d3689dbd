"""The PyTorch peer of the studio's CPU training step (tests/bench/cpuPeer.bench.ts writes its input folder).

    python3 tests/bench/torchPeer.py --dir DIR --threads N --steps K [--lstm keras|nn]

The model, the Keras Adam and the batch building are train_ddp.py's own (imported from
src/engine/scaleOut/train_ddp.py, the one PyTorch copy of the studio's model): whole-caption teacher forcing
padded to each batch's longest caption, dropout as in DIR/bench.json. DIR holds bench.json (parameter specs,
the images of each batch, every image's captions as token ids), weights as <i>.npy in paramSpecs order and
features.npy [images, F]. --lstm nn swaps train_ddp.py's step-by-step KerasLSTM for torch.nn.LSTM over packed
sequences with the same weights (Keras' gate order i, f, c, o is torch's i, f, g, o: W_ih = kernelᵀ,
W_hh = recurrent_kernelᵀ, b_ih = bias, b_hh = 0), what a student writing PyTorch would use; the states at
real positions, hence the loss, are the same. Batch 0 warms up untimed; each later batch is one timed step (batch arrays,
forward, backward, Adam), printed as one JSON line: {"torch", "threads", "msPerStep": [...], "tokens": [...]}.
"""
import argparse
import importlib.util
import json
import os
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--dir', required=True)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--steps', type=int, default=None, help='timed steps (default: every batch after the first)')
    p.add_argument('--lstm', choices=['keras', 'nn'], default='keras')
    args = p.parse_args()
    for name in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[name] = str(args.threads)
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location('train_ddp', os.path.join(here, '..', '..', 'src', 'engine', 'scaleOut', 'train_ddp.py'))
    ddp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ddp)

    cfg = json.load(open(os.path.join(args.dir, 'bench.json')))
    weights = [np.load(os.path.join(args.dir, '%d.npy' % i)) for i in range(len(cfg['params']))]
    data = {'captions': cfg['captions'], 'features': np.load(os.path.join(args.dir, 'features.npy'))}
    model = ddp.build_model(torch, cfg, weights)
    model.rate = cfg['dropout']
    if args.lstm == 'nn':
        model.lstm = packed_lstm(torch, model.lstm)
    model.train()
    adam = ddp.KerasAdam(torch, list(model.parameters()), cfg['learningRate'], 0.9, 0.999, 1e-7)
    torch.manual_seed(1)

    batches = cfg['batches'] if args.steps is None else cfg['batches'][:args.steps + 1]
    ms, tokens = [], []
    for k, images in enumerate(batches):
        started = time.perf_counter()
        arrays = ddp.batch_arrays(np, data, images, True)
        batch = {key: torch.from_numpy(value) for key, value in arrays.items()}
        loss_sum = model(batch['features'], batch['inputs'], batch['row_image'], batch['target_row'], batch['target_step'], batch['targets'], True)
        count = len(arrays['targets'])
        adam.zero_grad()
        (loss_sum / count).backward()
        adam.step()
        elapsed = (time.perf_counter() - started) * 1000
        if k > 0:
            ms.append(elapsed)
            tokens.append(count)
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'msPerStep': ms, 'tokens': tokens}))


def packed_lstm(torch, keras_lstm):
    """torch.nn.LSTM with keras_lstm's weights, called as KerasLSTM is: (x [n, T, E], mask [n, T] bool) →
    (states [n, T, U], last h [n, U]); post-padded rows (the sequence layout) run packed to their length."""
    nn = torch.nn
    units = keras_lstm.units
    lstm = nn.LSTM(keras_lstm.kernel.shape[0], units, batch_first=True)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(keras_lstm.kernel.t())
        lstm.weight_hh_l0.copy_(keras_lstm.recurrent_kernel.t())
        lstm.bias_ih_l0.copy_(keras_lstm.bias)
        lstm.bias_hh_l0.zero_()

    class Packed(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, x, mask):
            lengths = mask.sum(1).clamp(min=1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, (h, _) = self.lstm(packed)
            states, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
            return states, h[0]

    return Packed()


if __name__ == '__main__':
    sys.exit(main())
