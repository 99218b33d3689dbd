#!/usr/bin/env python3
"""train_ddp.py: a WebGPU Caption Studio run on PyTorch DistributedDataParallel.

`caption-studio export-run` wrote this file next to the run it trains (run.json, tokenizer.json and the .npy
arrays in this folder). It trains the notebook's merge captioner exactly as the studio's in-process trainer
does (same initial weights, same seeded image order per epoch, whole-caption teacher forcing, loss = mean
cross-entropy over the real tokens of the GLOBAL batch, Keras' Adam), split across ranks.

Launch (every launcher sets the env:// contract: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT):
  python3 train_ddp.py                              one process, no process group
  python3 train_ddp.py --nproc 2                    2 local ranks started by this script (where torchrun is broken)
  torchrun --nproc_per_node 4 train_ddp.py          one node, 4 ranks (one per GPU on CUDA)
  torchrun --nnodes 2 --node_rank 0 --nproc_per_node 8 \\
      --rdzv_backend c10d --rdzv_endpoint HOST:29500 train_ddp.py     on each node (node_rank 0, 1, ...)
gloo on CPU, NCCL on CUDA (chosen here). Rank 0 prints one JSON line per step and per epoch on stdout (and
appends them to train_log.jsonl), and writes a checkpoint of plain .npy files after every epoch
(checkpoints/epoch_NNNN/); --resume goes on from the last one. `caption-studio import-run` turns a
checkpoint back into a studio model folder.
"""
import argparse
import gc
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import time

RUN_FORMAT = 'caption-studio-ddp-run'
CHECKPOINT_FORMAT = 'caption-studio-ddp-checkpoint'
SPLIT_CODES = ('train', 'val', 'test')


class RunError(Exception):
    """Bad input: printed as one line naming the file, exit status 1."""


# ---------------------------------------------------------------------------------------------------------
# The studio's seeded randomness (src/core/rng.ts), bit for bit: the epoch order must match the studio's.


def derive_seed(seed, label):
    """deriveSeed: FNV-1a over the label, mixed with the seed (32-bit)."""
    h = (0x811C9DC5 ^ (seed & 0xFFFFFFFF)) & 0xFFFFFFFF
    for ch in label:
        h ^= ord(ch)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def mulberry32(seed):
    state = seed & 0xFFFFFFFF

    def rand():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return rand


def epoch_order(seed, epoch, count):
    """epochOrder (src/engine/captionData.ts): Fisher-Yates over 0..count-1 seeded by seed and epoch."""
    rand = mulberry32(derive_seed(seed, 'epoch/%d' % epoch))
    items = list(range(count))
    for i in range(count - 1, 0, -1):
        j = math.floor(rand() * (i + 1))
        items[i], items[j] = items[j], items[i]
    return items


# ---------------------------------------------------------------------------------------------------------
# The run folder


def load_run(run_dir):
    import numpy as np

    def path(name):
        return os.path.join(run_dir, name)

    if not os.path.isfile(path('run.json')):
        raise RunError('%s: no run.json here (not a folder written by caption-studio export-run)' % run_dir)
    try:
        with open(path('run.json'), encoding='utf-8') as f:
            run = json.load(f)
    except ValueError as e:
        raise RunError('%s: not valid JSON (%s)' % (path('run.json'), e))
    if not isinstance(run, dict) or run.get('format') != RUN_FORMAT:
        raise RunError('%s: not a caption-studio run (format %r)' % (path('run.json'), run.get('format') if isinstance(run, dict) else None))
    if run.get('version') != 1:
        raise RunError('%s: run format version %r is not supported' % (path('run.json'), run.get('version')))
    for name, size in run['files'].items():
        if not os.path.isfile(path(name)):
            raise RunError('%s: missing (run.json lists it): the export is incomplete' % path(name))
        if os.path.getsize(path(name)) != size:
            raise RunError('%s: %d bytes, run.json says %d: the export is incomplete or altered' % (path(name), os.path.getsize(path(name)), size))

    def array(name, dtype, shape=None):
        try:
            a = np.load(path(name), allow_pickle=False)
        except ValueError as e:
            raise RunError('%s: not a plain .npy array (%s)' % (path(name), e))
        if a.dtype != np.dtype(dtype):
            raise RunError('%s: dtype %s, expected %s' % (path(name), a.dtype, dtype))
        if shape is not None and list(a.shape) != list(shape):
            raise RunError('%s: shape %s, expected %s' % (path(name), list(a.shape), list(shape)))
        return a

    d = run['data']
    model = run['model']
    data = {
        'features': array('features.npy', '<f4', [d['images'], model['featureDim']]),
        'caption_tokens': array('caption_tokens.npy', '<i4', [d['tokens']]),
        'caption_offsets': array('caption_offsets.npy', '<i4', [d['captions'] + 1]),
        'caption_image': array('caption_image.npy', '<i4', [d['captions']]),
    }
    for split in SPLIT_CODES:
        data[split] = array('split_%s.npy' % split, '<i4', [d[split]])
    weights = [array(p['file'], '<f4', p['shape']) for p in run['params']]
    tokens = data['caption_tokens']
    if tokens.size and (tokens.min() < 0 or tokens.max() >= model['vocabSize']):
        raise RunError('%s: token ids outside 0..%d' % (path('caption_tokens.npy'), model['vocabSize'] - 1))
    # Captions of each image, in the studio's order (what makeCaptionBatch iterates).
    captions = [[] for _ in range(d['images'])]
    offsets = data['caption_offsets']
    for k, image in enumerate(data['caption_image']):
        captions[image].append(tokens[offsets[k]:offsets[k + 1]])
    data['captions'] = captions
    data['image_tokens'] = np.array([sum(max(0, len(c) - 1) for c in cs) for cs in captions], dtype=np.int64)
    return run, data, weights


# ---------------------------------------------------------------------------------------------------------
# The model: the notebook's merge captioner, tensors named and shaped as Keras' (kernel [in, out]).


def build_model(torch, cfg, weights):
    nn = torch.nn
    F = torch.nn.functional

    class Dense(nn.Module):
        def __init__(self, kernel, bias):
            super().__init__()
            self.kernel = nn.Parameter(torch.from_numpy(kernel.copy()))
            self.bias = nn.Parameter(torch.from_numpy(bias.copy()))

        def forward(self, x):
            return x @ self.kernel + self.bias

    class Embedding(nn.Module):
        def __init__(self, embeddings):
            super().__init__()
            self.embeddings = nn.Parameter(torch.from_numpy(embeddings.copy()))

        def forward(self, ids):
            return self.embeddings[ids]

    class KerasLSTM(nn.Module):
        """Keras' LSTM with its own tensors: kernel [E, 4U], recurrent_kernel [U, 4U] and ONE bias [4U], the
        gate columns in Keras' order i, f, c, o. (torch.nn.LSTM keeps transposed [4U, E] weights and two
        biases, b_ih + b_hh; computing the cell here keeps the tensors exactly the studio's.) At a masked
        step (token 0) h and c carry over, as mask_zero does."""

        def __init__(self, kernel, recurrent_kernel, bias):
            super().__init__()
            self.kernel = nn.Parameter(torch.from_numpy(kernel.copy()))
            self.recurrent_kernel = nn.Parameter(torch.from_numpy(recurrent_kernel.copy()))
            self.bias = nn.Parameter(torch.from_numpy(bias.copy()))
            self.units = recurrent_kernel.shape[0]

        def forward(self, x, mask):
            """x [n, T, E], mask [n, T] bool → (h of every step [n, T, U], last h [n, U])"""
            n, steps = mask.shape
            u = self.units
            projected = x @ self.kernel + self.bias  # every step's input projection in one matmul
            h = projected.new_zeros((n, u), dtype=torch.float32)
            c = projected.new_zeros((n, u), dtype=torch.float32)
            outputs = []
            for t in range(steps):
                z = projected[:, t] + h @ self.recurrent_kernel
                gate_i = torch.sigmoid(z[:, 0 * u:1 * u])  # input gate
                gate_f = torch.sigmoid(z[:, 1 * u:2 * u])  # forget gate (unit_forget_bias: starts at 1)
                cell = torch.tanh(z[:, 2 * u:3 * u])  # candidate cell (Keras calls the block "c")
                gate_o = torch.sigmoid(z[:, 3 * u:4 * u])  # output gate
                c_new = gate_f * c + gate_i * cell
                h_new = gate_o * torch.tanh(c_new)
                real = mask[:, t:t + 1]
                c = torch.where(real, c_new.float(), c)
                h = torch.where(real, h_new.float(), h)
                outputs.append(h)
            return torch.stack(outputs, 1), h

    class CaptionModel(nn.Module):
        """input_1 → dropout → dense (relu) ─┐
        input_2 → embedding → dropout_1 → lstm ─┴→ add → dense_1 (relu) → dense_2 (softmax in the loss)"""

        def __init__(self):
            super().__init__()
            w = dict(zip([p['name'] for p in cfg['params']], weights))
            self.dense = Dense(w['dense/kernel'], w['dense/bias'])
            self.embedding = Embedding(w['embedding/embeddings'])
            self.lstm = KerasLSTM(w['lstm/kernel'], w['lstm/recurrent_kernel'], w['lstm/bias'])
            self.dense_1 = Dense(w['dense_1/kernel'], w['dense_1/bias'])
            self.dense_2 = Dense(w['dense_2/kernel'], w['dense_2/bias'])
            self.rate = 0.0

        def forward(self, features, inputs, row_image, target_row, target_step, targets, sequence_layout):
            """Summed cross-entropy over the batch's real targets (a sum, so ranks combine exactly)."""
            image = F.relu(self.dense(F.dropout(features, self.rate, self.training)))
            embedded = F.dropout(self.embedding(inputs), self.rate, self.training)
            states, last = self.lstm(embedded, inputs != 0)
            # sequence: the state after each target's input step; prefix: each sample's final state.
            h = states[target_row, target_step] if sequence_layout else last
            merged = image[row_image[target_row]] + h
            logits = self.dense_2(F.relu(self.dense_1(merged)))
            return F.cross_entropy(logits.float(), targets, reduction='sum')

    return CaptionModel()


def named_parameters_in_spec_order(model, cfg):
    """The model's tensors in run.json's order, named as the studio names them (`lstm/recurrent_kernel`)."""
    params = dict(model.named_parameters())
    return [(p['name'], params[p['name'].replace('/', '.')]) for p in cfg['params']]


class KerasAdam:
    """Adam with Keras' update (the studio's src/model/adam.ts): the bias corrections fold into the step size
    and epsilon is added to sqrt(v) UNcorrected, w -= lr·sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε), ε = 1e-7.
    (torch.optim.Adam adds ε to the corrected sqrt(v̂): another update for the same ε.) Every tensor is
    updated every step, as Keras does, including rows whose gradient is zero this step."""

    def __init__(self, torch, params, lr, beta1, beta2, epsilon):
        self.torch = torch
        self.params = params
        self.param_groups = [{'params': params, 'lr': lr}]  # what GradScaler.unscale_ walks
        self.state = {}
        self.lr, self.beta1, self.beta2, self.epsilon = lr, beta1, beta2, epsilon
        self.step_count = 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def zero_grad(self, set_to_none=False):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()

    def step(self, closure=None):
        torch = self.torch
        with torch.no_grad():
            self.step_count += 1
            t = self.step_count
            rate = self.lr * math.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)
            for p, m, v in zip(self.params, self.m, self.v):
                g = p.grad if p.grad is not None else torch.zeros_like(p)
                m.mul_(self.beta1).add_(g * (1 - self.beta1))
                v.mul_(self.beta2).add_(g.square() * (1 - self.beta2))
                p.sub_(m * rate / (v.sqrt() + self.epsilon))


# ---------------------------------------------------------------------------------------------------------
# Batches: the studio's global batch (its epoch order), split across ranks like DistributedSampler.


def rank_share(global_images, rank, world):
    """DistributedSampler's split (rank r takes every world-th index from r), applied to each global batch,
    without its padding: a short last batch leaves a rank fewer (or no) images instead of repeating some,
    which would change the loss. Each rank's loss is weighted by its share of the global batch's tokens."""
    return global_images[rank::world]


def batch_arrays(np, data, images, sequence_layout):
    """The rank's images as index arrays: LSTM inputs [rows, steps] (0-padded), each row's image, each
    target's row and step, and the targets. sequence: one row per caption, post-padded; prefix: one row
    per caption prefix, pre-padded (the notebook's generator)."""
    rows, row_image, target_row, target_step, targets = [], [], [], [], []
    for i, image in enumerate(images):
        for caption in data['captions'][image]:
            if sequence_layout:
                r = len(rows)
                rows.append(caption[:-1])
                row_image.append(i)
                for t in range(len(caption) - 1):
                    target_row.append(r)
                    target_step.append(t)
                    targets.append(caption[t + 1])
            else:
                for t in range(1, len(caption)):
                    target_row.append(len(rows))
                    target_step.append(0)
                    targets.append(caption[t])
                    rows.append(caption[:t])
                    row_image.append(i)
    steps = max([1] + [len(r) for r in rows])
    inputs = np.zeros((len(rows), steps), dtype=np.int64)
    for r, tokens in enumerate(rows):
        if sequence_layout:
            inputs[r, :len(tokens)] = tokens
        else:
            inputs[r, steps - len(tokens):] = tokens
    return {
        'features': data['features'][np.asarray(images, dtype=np.int64)],
        'inputs': inputs,
        'row_image': np.asarray(row_image, dtype=np.int64),
        'target_row': np.asarray(target_row, dtype=np.int64),
        'target_step': np.asarray(target_step, dtype=np.int64),
        'targets': np.asarray(targets, dtype=np.int64),
    }


# ---------------------------------------------------------------------------------------------------------
# Checkpoints: plain .npy files and a JSON state, one folder per epoch, renamed into place when complete.


def save_checkpoint(np, out_dir, epoch, named, optimizer, state):
    final = os.path.join(out_dir, 'epoch_%04d' % epoch)
    temp = os.path.join(out_dir, '.tmp-epoch_%04d-%d' % (epoch, os.getpid()))
    shutil.rmtree(temp, ignore_errors=True)
    for folder, tensors in (('weights', [p for _, p in named]), ('adam_m', optimizer.m), ('adam_v', optimizer.v)):
        for (name, _), tensor in zip(named, tensors):
            path = os.path.join(temp, folder, *name.split('/')) + '.npy'
            os.makedirs(os.path.dirname(path), exist_ok=True)
            np.save(path, tensor.detach().float().cpu().numpy().astype('<f4'), allow_pickle=False)
    with open(os.path.join(temp, 'state.json'), 'w', encoding='utf-8') as f:
        json.dump(state, f, indent=1)
    old = final + '.old-%d' % os.getpid()
    if os.path.exists(final):
        os.rename(final, old)
    os.rename(temp, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(out_dir):
    if not os.path.isdir(out_dir):
        return None
    done = [d for d in os.listdir(out_dir) if d.startswith('epoch_') and d[6:].isdigit() and os.path.isfile(os.path.join(out_dir, d, 'state.json'))]
    return os.path.join(out_dir, max(done, key=lambda d: int(d[6:]))) if done else None


def load_checkpoint(np, torch, folder, named, optimizer, run_id):
    state_path = os.path.join(folder, 'state.json')
    try:
        with open(state_path, encoding='utf-8') as f:
            state = json.load(f)
    except ValueError as e:
        raise RunError('%s: not valid JSON (%s)' % (state_path, e))
    if not isinstance(state, dict) or state.get('format') != CHECKPOINT_FORMAT:
        raise RunError('%s: not a caption-studio checkpoint' % state_path)
    if state.get('runId') != run_id:
        raise RunError('%s: a checkpoint of run %s, this run is %s' % (state_path, state.get('runId'), run_id))
    for folder_name, tensors in (('weights', [p for _, p in named]), ('adam_m', optimizer.m), ('adam_v', optimizer.v)):
        for (name, _), tensor in zip(named, tensors):
            path = os.path.join(folder, folder_name, *name.split('/')) + '.npy'
            if not os.path.isfile(path):
                raise RunError('%s: missing: the checkpoint is incomplete' % path)
            a = np.load(path, allow_pickle=False)
            if list(a.shape) != list(tensor.shape) or a.dtype != np.dtype('<f4'):
                raise RunError('%s: %s %s, expected float32 %s' % (path, a.dtype, list(a.shape), list(tensor.shape)))
            with torch.no_grad():
                tensor.copy_(torch.from_numpy(a))
    optimizer.step_count = state['adamStep']
    return state


# ---------------------------------------------------------------------------------------------------------


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description='Train an exported caption-studio run with PyTorch DistributedDataParallel.')
    p.add_argument('--run', default=here, help='the exported run folder (default: this script\'s folder)')
    p.add_argument('--out', default=None, help='checkpoint folder (default: <run>/checkpoints)')
    p.add_argument('--log', default=None, help='rank 0 also appends its JSON lines here (default: <run>/train_log.jsonl; - for none)')
    p.add_argument('--epochs', type=int, default=None, help='total epochs (default: run.json)')
    p.add_argument('--precision', choices=['float32', 'mixed_float16'], default=None, help='default: run.json')
    p.add_argument('--dropout', type=float, default=None, help='rate of both dropout layers (default: run.json, 0.4 in the notebook)')
    p.add_argument('--resume', action='store_true', help='go on from the last checkpoint in --out')
    p.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto')
    p.add_argument('--threads', type=int, default=None, help='CPU threads per rank (default: cores / local ranks)')
    p.add_argument('--nproc', type=int, default=None, help='start N local ranks with the env:// contract (instead of torchrun)')
    return p.parse_args(argv)


def free_port():
    """A port free now for rank 0's store, taken below the kernel's ephemeral range where the machine says
    where that is: every connection and bind(0) of other programs draws from that range, so one of them could
    be given this very port in the seconds before rank 0 binds it (rank 0 then fails and the other ranks wait
    on whatever holds it). The check binds every address, as the store does."""
    low = 0
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    below = [random.randrange(10000, low) for _ in range(20)] if low > 11000 else []
    for port in below + [0]:
        with socket.socket() as s:
            try:
                s.bind(('', port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RunError('no free port for the ranks to meet on')


def spawn_local_ranks(args, argv):
    """What torchrun's local launcher does: N processes, the env:// variables set, one port; the first
    failure ends the others."""
    n = args.nproc
    port = str(free_port())
    rest = []
    skip = False
    for a in argv:  # the same arguments, less --nproc
        if skip:
            skip = False
            continue
        if a == '--nproc':
            skip = True
            continue
        if a.startswith('--nproc='):
            continue
        rest.append(a)
    children = []
    for rank in range(n):
        env = dict(os.environ, MASTER_ADDR='127.0.0.1', MASTER_PORT=port, WORLD_SIZE=str(n), RANK=str(rank),
                   LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(n), GROUP_RANK='0')
        children.append(subprocess.Popen([sys.executable, os.path.abspath(__file__)] + rest, env=env))
    status = 0
    try:
        while children:
            for child in list(children):
                code = child.poll()
                if code is None:
                    continue
                children.remove(child)
                if code != 0 and status == 0:
                    status = code
                    for other in children:
                        other.terminate()
            time.sleep(0.05)
    except KeyboardInterrupt:
        for child in children:
            child.terminate()
        status = 130
    return status


def set_thread_env(args):
    """Threads per rank before torch loads (OpenBLAS reads its variable once): ranks sharing a machine must
    not each take every core."""
    local_ranks = int(os.environ.get('LOCAL_WORLD_SIZE', '1'))
    threads = args.threads or int(os.environ.get('OMP_NUM_THREADS', '0')) or max(1, (os.cpu_count() or 1) // local_ranks)
    for name in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[name] = str(threads)
    return threads


def train(args):
    threads = set_thread_env(args)
    import numpy as np

    # The run folder is checked before torch loads (seconds): a wrong folder is refused at once.
    run_dir = os.path.abspath(args.run)
    run, data, weights = load_run(run_dir)
    import torch
    import torch.distributed as dist

    torch.set_num_threads(threads)
    cfg = run
    tc = run['train']
    epochs = args.epochs if args.epochs is not None else tc['epochs']
    precision = args.precision or tc['precision']
    rate = tc['dropout'] if args.dropout is None else args.dropout
    sequence_layout = tc['layout'] == 'sequence'

    distributed = 'WORLD_SIZE' in os.environ and 'RANK' in os.environ
    use_cuda = args.device == 'cuda' or (args.device == 'auto' and torch.cuda.is_available())
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise RunError('--device cuda: torch sees no CUDA device')
    local_rank = int(os.environ.get('LOCAL_RANK', '0'))
    device = torch.device('cuda', local_rank) if use_cuda else torch.device('cpu')
    if use_cuda:
        torch.cuda.set_device(device)
    backend = 'nccl' if use_cuda else 'gloo'
    if distributed:
        dist.init_process_group(backend)  # env://: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1

    module = build_model(torch, cfg, weights).to(device)
    module.rate = rate
    named = named_parameters_in_spec_order(module, cfg)
    net = torch.nn.parallel.DistributedDataParallel(module, device_ids=[local_rank] if use_cuda else None) if distributed else module
    adam = tc['adam']
    optimizer = KerasAdam(torch, [p for _, p in named], tc['learningRate'], adam['beta1'], adam['beta2'], adam['epsilon'])
    # mixed_float16: Keras' policy maps to autocast; f16 with dynamic loss scaling on CUDA (Keras'
    # LossScaleOptimizer: start 2^15, double after 2000 finite steps), bfloat16 on CPU (no f16 matmuls there;
    # bf16 has f32's range, so no loss scaling).
    autocast_dtype = None
    scaler = None
    if precision == 'mixed_float16':
        autocast_dtype = torch.float16 if use_cuda else torch.bfloat16
        if use_cuda:
            scale = tc['lossScale']
            amp_scaler = getattr(getattr(torch, 'amp', None), 'GradScaler', None)  # torch >= 2.3; 1.13 has torch.cuda.amp's
            scaler = (amp_scaler('cuda', init_scale=scale['initial'], growth_interval=scale['growthSteps']) if amp_scaler
                      else torch.cuda.amp.GradScaler(init_scale=scale['initial'], growth_interval=scale['growthSteps']))
    precision_label = precision if autocast_dtype is None else '%s (autocast %s%s)' % (
        precision, 'float16' if autocast_dtype == torch.float16 else 'bfloat16 on CPU', ', GradScaler' if scaler else '')

    out_dir = os.path.abspath(args.out or os.path.join(run_dir, 'checkpoints'))
    log_path = None if args.log == '-' else os.path.abspath(args.log or os.path.join(run_dir, 'train_log.jsonl'))
    start_epoch, step = 0, 0
    resumed = None
    if args.resume:
        folder = latest_checkpoint(out_dir)
        if folder:
            state = load_checkpoint(np, torch, folder, named, optimizer, run['runId'])
            start_epoch, step = state['epoch'], state['step']
            if scaler and state.get('lossScaler'):
                scaler.load_state_dict(state['lossScaler'])
            resumed = folder

    log_file = open(log_path, 'a', encoding='utf-8') if (rank == 0 and log_path) else None

    def emit(record):
        if rank != 0:
            return
        line = json.dumps(record)
        print(line, flush=True)
        if log_file:
            log_file.write(line + '\n')
            log_file.flush()

    emit({'event': 'start', 'runId': run['runId'], 'worldSize': world, 'backend': backend if distributed else 'none',
          'device': str(device), 'precision': precision_label, 'layout': tc['layout'], 'dropout': rate,
          'batchSize': tc['batchSize'], 'epochs': epochs, 'threadsPerRank': threads, 'torch': torch.__version__,
          'resumedFrom': resumed, 'startEpoch': start_epoch, 'step': step})

    def to_device(arrays):
        return {k: torch.from_numpy(v).to(device) for k, v in arrays.items()}

    def forward(batch):
        context = torch.autocast(device_type=device.type, dtype=autocast_dtype) if autocast_dtype else _null()
        with context:
            return net(batch['features'], batch['inputs'], batch['row_image'], batch['target_row'], batch['target_step'],
                       batch['targets'], sequence_layout)

    train_images = data['train']
    batch_size = tc['batchSize']
    for epoch in range(start_epoch, epochs):
        module.train()
        epoch_started = time.perf_counter()
        order = epoch_order(tc['seed'], epoch, len(train_images))
        loss_total, token_total, epoch_tokens = 0.0, 0, 0
        for start in range(0, len(order), batch_size):
            step_started = time.perf_counter()
            global_images = [int(train_images[k]) for k in order[start:start + batch_size]]
            global_tokens = int(data['image_tokens'][global_images].sum())
            mine = rank_share(global_images, rank, world)
            batch = to_device(batch_arrays(np, data, mine, sequence_layout))
            loss_sum = forward(batch)
            # DDP averages gradients over ranks; scaling this rank's SUM by world / global tokens makes that
            # average the gradient of the global batch's mean loss per real token (the studio's loss).
            objective = loss_sum * (world / max(1, global_tokens))
            optimizer.zero_grad()
            skipped = False
            if scaler:
                scale_before = scaler.get_scale()
                scaler.scale(objective).backward()
                scaler.step(optimizer)
                scaler.update()
                skipped = scaler.get_scale() < scale_before
            else:
                objective.backward()
                optimizer.step()
            reported = loss_sum.detach().float().reshape(1)
            if distributed:
                dist.all_reduce(reported)
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            duration = time.perf_counter() - step_started
            step += 1
            loss = reported.item() / max(1, global_tokens)
            if math.isfinite(loss):
                loss_total += loss * global_tokens
                token_total += global_tokens
            epoch_tokens += global_tokens
            record = {'event': 'step', 'epoch': epoch + 1, 'step': step, 'loss': loss, 'tokens': global_tokens,
                      'durationMs': duration * 1000, 'tokensPerSecond': global_tokens / duration, 'worldSize': world}
            if scaler:
                record.update(lossScale=scaler.get_scale(), skipped=skipped)
            emit(record)
        epoch_seconds = time.perf_counter() - epoch_started
        val_loss = None
        checkpoint = None
        if rank == 0:
            val_loss = validation_loss(np, torch, module, data, batch_size, sequence_layout, device, to_device)
            state = {'format': CHECKPOINT_FORMAT, 'version': 1, 'runId': run['runId'], 'epoch': epoch + 1, 'step': step,
                     'adamStep': optimizer.step_count, 'worldSize': world, 'precision': precision_label,
                     'trainLoss': loss_total / token_total if token_total else None, 'valLoss': val_loss}
            if scaler:
                state['lossScaler'] = scaler.state_dict()
            checkpoint = save_checkpoint(np, out_dir, epoch + 1, named, optimizer, state)
        emit({'event': 'epoch', 'epoch': epoch + 1, 'step': step, 'trainLoss': loss_total / token_total if token_total else None,
              'valLoss': val_loss, 'durationMs': epoch_seconds * 1000, 'tokensPerSecond': epoch_tokens / epoch_seconds,
              'worldSize': world, 'checkpoint': checkpoint})
        if distributed:
            dist.barrier()
    emit({'event': 'end', 'epochs': epochs, 'steps': step, 'worldSize': world})
    if log_file:
        log_file.close()
    if distributed:
        # The DDP wrapper goes first, while the process group still has its own reference: torch 1.13 destroys
        # a gloo group whose last holder is DDP's reducer with the GIL held, and joins gloo's worker threads,
        # one of which may need the GIL to free a tensor of the last collective (a deadlock after training,
        # seen about once in 15 runs on a busy 2-core machine). Dropped by the group's own handle, the group is
        # destroyed with the GIL released.
        del net
        gc.collect()
        dist.destroy_process_group()


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def validation_loss(np, torch, module, data, batch_size, sequence_layout, device, to_device):
    """Mean loss per real token on the validation split (the test split when there is none), dropout off,
    as the studio reports it after each epoch."""
    images = [int(i) for i in (data['val'] if len(data['val']) else data['test'])]
    if not images:
        return None
    module.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            part = images[start:start + batch_size]
            count = int(data['image_tokens'][part].sum())
            if count == 0:
                continue
            b = to_device(batch_arrays(np, data, part, sequence_layout))
            total += module(b['features'], b['inputs'], b['row_image'], b['target_row'], b['target_step'], b['targets'],
                            sequence_layout).item()
            tokens += count
    module.train()
    return total / tokens if tokens else None


def main(argv):
    args = parse_args(argv)
    try:
        if args.nproc is not None:
            if args.nproc < 1:
                raise RunError('--nproc must be at least 1')
            if 'RANK' in os.environ:
                raise RunError('--nproc: this process is already a rank (RANK is set); launch with --nproc or with torchrun, not both')
            return spawn_local_ranks(args, argv)
        train(args)
        return 0
    except RunError as e:
        print('train_ddp.py: %s' % e, file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
