"""PyTorch side of `npm run bench`: the same workloads as bench/run.ts, on the CPU.

Usage: python3 bench/torch_bench.py <threads>   -> one JSON line on stdout.
"""
import json
import sys
import time

import torch
import torchvision

BATCH = 32


# Warm-up and timed calls, as bench/run.ts: both sides time the steady state after 8 warm-up calls.
WARMUP = 8
FORWARD_REPS = 24
FINETUNE_REPS = 8


def timed(fn, reps, warmup):
    """Images/s by wall clock and per CPU-second of the process (all threads)."""
    for _ in range(warmup):
        fn()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(reps):
        fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return BATCH * reps / wall, BATCH * reps / cpu


def forward(model, x):
    def run():
        with torch.no_grad():
            model(x)
    return timed(run, FORWARD_REPS, WARMUP)


def finetune(model, x, y):
    # Frozen: everything before Keras' block_15 (torchvision features[:16]), in inference mode.
    # Trained: block_15, block_16, Conv_1 (features[16:]) and the classifier.
    prefix = model.features[:16].eval()
    tail = torch.nn.Sequential(model.features[16:], torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), model.classifier).train()
    opt = torch.optim.Adam(tail.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        with torch.no_grad():
            f = prefix(x)
        opt.zero_grad()
        loss = loss_fn(tail(f), y)
        loss.backward()
        opt.step()

    return timed(step, FINETUNE_REPS, WARMUP)


def head_epoch(features, labels):
    """Seconds (wall, CPU) of an epoch: the median of 7 after a warm-up one, as Graft's side."""
    head = torch.nn.Linear(1280, 10)
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = features.shape[0]

    def epoch():
        order = torch.randperm(n)
        for i in range(0, n, BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(head(features[idx]), labels[idx])
            loss.backward()
            opt.step()

    epoch()
    walls, cpus = [], []
    for _ in range(7):
        t0, c0 = time.perf_counter(), time.process_time()
        epoch()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return sorted(walls)[3], sorted(cpus)[3]


SCRATCH_BATCH = 64
SCRATCH_STEPS = 40


def scratch_training():
    """small_cnn 32/64/128 on 28x28x1 from random weights, every layer trained, batch 64, Adam (bench/run.ts `scratch`)."""
    layers, c = [], 1
    for f in (32, 64, 128):
        layers += [torch.nn.Conv2d(c, f, 3, padding=1, bias=False), torch.nn.BatchNorm2d(f, eps=1e-3, momentum=0.01), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
        c = f
    model = torch.nn.Sequential(*layers, torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(128, 5)).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.rand(SCRATCH_BATCH, 1, 28, 28)
    y = torch.arange(SCRATCH_BATCH) % 5

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(WARMUP):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(SCRATCH_STEPS):
        step()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return SCRATCH_BATCH * SCRATCH_STEPS / wall, SCRATCH_BATCH * SCRATCH_STEPS / cpu


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10)
    x = torch.rand(BATCH, 3, 96, 96) * 2 - 1
    y = torch.arange(BATCH) % 10
    fwd, fwd_cpu = forward(model.eval(), x)
    ft, ft_cpu = finetune(model, x, y)
    features = torch.randn(5000, 1280)
    labels = torch.randint(0, 10, (5000,))
    epoch_s, epoch_cpu_s = head_epoch(features, labels)
    scratch, scratch_cpu = scratch_training()
    result = {
        "threads": threads,
        "torch": torch.__version__,
        "forward_ips": fwd,
        "forward_cpu_ips": fwd_cpu,
        "finetune_ips": ft,
        "finetune_cpu_ips": ft_cpu,
        "head_epoch_s": epoch_s,
        "head_ips": 5000 / epoch_s,
        "head_cpu_ips": 5000 / epoch_cpu_s,
        "scratch_ips": scratch,
        "scratch_cpu_ips": scratch_cpu,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
