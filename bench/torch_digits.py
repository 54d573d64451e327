"""PyTorch side of `npm run bench` workload (4): examples/digits-transfer.graft's `digits_transfer`
end to end, written as a PyTorch user would, mirroring what `graft run` does:

  digits_pretrain  small_cnn [32, 64, 128] (conv3x3 same, no bias -> BN -> ReLU -> maxpool 2) on
                   digits 0-4 (85% train / 15% val, stratified), head avgpool -> dense softmax,
                   adam 1e-3, batch 64, 3 epochs, val every epoch, then BatchNorm statistics
                   recomputed over up to 50 training batches (Graft's precise BN).
  digits_transfer  digits 5-9 (40/20/40 stratified, 10 shots per class from train); the
                   pretrained backbone frozen in inference mode, its features computed once;
                   head flatten (3x3x128) -> dense 64 relu -> dropout 0.2 -> dense softmax;
                   adam 3e-3, batch 16, 30 epochs, crossentropy with label smoothing 0.1, val
                   every epoch.
  baseline scratch every layer of a randomly initialised small_cnn + the same head trained
                   together (BN in training mode), same recipe; BN statistics estimated on the
                   training data first and recomputed at the end (precise BN), as Graft does.
  baseline random_features  the frozen layout over a randomly initialised backbone (BN
                   statistics estimated on the training data first): only the head trains.

Usage: python3 bench/torch_digits.py <threads> <mnist digits dir>  -> one JSON line on stdout.
Keras conventions are kept where they change results: glorot-uniform init, BN eps 1e-3 and
momentum 0.99, Adam eps 1e-7.
"""
import json
import os
import sys
import time

import torch
from torch import nn

T0 = time.perf_counter()
C0 = time.process_time()


def load_digits(root, digits):
    xs, ys = [], []
    for label, d in enumerate(digits):
        with open(os.path.join(root, f"{d}.json")) as f:
            data = torch.tensor(json.load(f)["data"], dtype=torch.float32)
        x = data.view(-1, 1, 28, 28)
        xs.append(x)
        ys.append(torch.full((x.shape[0],), label, dtype=torch.long))
    return xs, ys


def stratified(xs, ys, fractions, gen, shots=None):
    """Per class: shuffle, cut by fractions; `shots` keeps that many training images per class."""
    parts = {k: ([], []) for k in fractions}
    for x, y in zip(xs, ys):
        order = torch.randperm(x.shape[0], generator=gen)
        start = 0
        names = list(fractions)
        for i, k in enumerate(names):
            n = x.shape[0] - start if i == len(names) - 1 else round(fractions[k] * x.shape[0])
            idx = order[start:start + n]
            if k == "train" and shots is not None:
                idx = idx[:shots]
            parts[k][0].append(x[idx])
            parts[k][1].append(y[idx])
            start += n
    return {k: (torch.cat(a), torch.cat(b)) for k, (a, b) in parts.items()}


def glorot(module):
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def small_cnn(filters):
    layers, c = [], 1
    for f in filters:
        layers += [nn.Conv2d(c, f, 3, padding=1, bias=False), nn.BatchNorm2d(f, eps=1e-3, momentum=0.01), nn.ReLU(), nn.MaxPool2d(2)]
        c = f
    net = nn.Sequential(*layers)
    glorot(net)
    return net


def pool_head(channels, classes, hidden=None, flatten=False):
    """`pool average` (global average pooling) or `pool flatten` (channels = the flattened size)."""
    layers = [nn.Flatten()] if flatten else [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    if hidden:
        layers += [nn.Linear(channels, hidden), nn.ReLU(), nn.Dropout(0.2)]
        channels = hidden
    layers.append(nn.Linear(channels, classes))
    head = nn.Sequential(*layers)
    glorot(head)
    return head


def batches(n, size, gen=None):
    order = torch.randperm(n, generator=gen) if gen is not None else torch.arange(n)
    for i in range(0, n, size):
        yield order[i:i + size]


def evaluate(model, x, y, size=128):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for idx in batches(x.shape[0], size):
            out = model(x[idx])
            loss += nn.functional.cross_entropy(out, y[idx], reduction="sum").item()
            correct += (out.argmax(1) == y[idx]).sum().item()
    return loss / x.shape[0], correct / x.shape[0]


def train(model, params, split, epochs, batch, lr, smoothing, gen):
    """Trains `model` on split["train"], evaluating on split["val"] each epoch. Returns images processed."""
    opt = torch.optim.Adam(params, lr=lr, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=smoothing)
    x, y = split["train"]
    vx, vy = split["val"]
    for _ in range(epochs):
        model.train()
        for idx in batches(x.shape[0], batch, gen):
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
        evaluate(model, vx, vy)
    return epochs * x.shape[0]


def recalibrate_bn(backbone, x, batch, gen, max_batches=50):
    """Graft's precise BN: statistics averaged over up to `max_batches` training batches."""
    bns = [m for m in backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average
    backbone.train()
    with torch.no_grad():
        for k, idx in enumerate(batches(x.shape[0], batch, gen)):
            if k >= max_batches:
                break
            backbone(x[idx])
    for bn in bns:
        bn.momentum = 0.01
    backbone.eval()


def transfer(backbone, target, gen, smoothing=0.1):
    """Frozen backbone (inference mode), features once, head trained on them; returns (images, test acc)."""
    backbone.eval()
    for p in backbone.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        feats = {k: (torch.cat([backbone(x[idx]) for idx in batches(x.shape[0], 128)]), y) for k, (x, y) in target.items()}
    head = pool_head(3 * 3 * 128, 5, hidden=64, flatten=True)
    images = train(head, head.parameters(), feats, 30, 16, 3e-3, smoothing, gen)
    _, acc = evaluate(head, *feats["test"])
    return images, acc


def scratch(target, gen, smoothing=0.1):
    """`baseline scratch`: every layer from random weights, the transfer's head and recipe; returns (images, test acc)."""
    backbone = small_cnn([32, 64, 128])
    recalibrate_bn(backbone, target["train"][0], 16, gen)
    model = nn.Sequential(backbone, pool_head(3 * 3 * 128, 5, hidden=64, flatten=True))
    images = train(model, model.parameters(), target, 30, 16, 3e-3, smoothing, gen)
    recalibrate_bn(backbone, target["train"][0], 16, gen)
    _, acc = evaluate(model, *target["test"])
    return images, acc


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    root = sys.argv[2]
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(1)
    images = 0

    # digits_pretrain
    xs, ys = load_digits(root, range(5))
    source = stratified(xs, ys, {"train": 0.85, "val": 0.15}, gen)
    backbone = small_cnn([32, 64, 128])
    pre_head = pool_head(128, 5)
    model = nn.Sequential(backbone, pre_head)
    images += train(model, model.parameters(), source, 3, 64, 1e-3, 0.0, gen)
    recalibrate_bn(backbone, source["train"][0], 64, gen)
    _, pretrain_val = evaluate(model, *source["val"])

    # digits_transfer and its baselines (scratch, random_features), in the order Graft runs them
    xs, ys = load_digits(root, range(5, 10))
    target = stratified(xs, ys, {"train": 0.4, "val": 0.2, "test": 0.4}, gen, shots=10)
    n, acc = transfer(backbone, target, gen)
    images += n
    n, baseline_acc = scratch(target, gen)
    images += n
    random_backbone = small_cnn([32, 64, 128])
    recalibrate_bn(random_backbone, target["train"][0], 16, gen)
    n, random_features_acc = transfer(random_backbone, target, gen)
    images += n

    print(json.dumps({
        "torch": torch.__version__,
        "threads": threads,
        "train_images": images,
        "seconds": time.perf_counter() - T0,
        "cpu_seconds": time.process_time() - C0,
        "pretrain_val_accuracy": pretrain_val,
        "test_accuracy": acc,
        "baseline_test_accuracy": baseline_acc,
        "random_features_test_accuracy": random_features_acc,
        "split_sizes": {k: int(v[0].shape[0]) for k, v in {**{f"source_{k}": v for k, v in source.items()}, **target}.items()},
    }))


if __name__ == "__main__":
    main()
