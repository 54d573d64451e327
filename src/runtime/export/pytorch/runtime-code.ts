// The fixed part of the generated train.py: modules for Keras layer semantics, data with Graft's
// normalisation and augmentation, Graft's losses, optimizers, schedules, early stopping,
// checkpointing and precise BatchNorm, DistributedDataParallel under torchrun, Graft's metrics,
// and results.json in Graft's format. Ported from src/runtime/{data,train,eval}; the comments in
// the Python say which TypeScript function each piece mirrors. Kept as one string so that the
// exported project is a single readable script and the npm package needs no Python assets.

export const LAYER_MODULES = String.raw`
# ---------------------------------------------------------------- Keras layer semantics

ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": F.relu,
    "relu6": F.relu6,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "gelu": F.gelu,
    "swish": F.silu,
    "silu": F.silu,
    "elu": F.elu,
    "softplus": F.softplus,
    "softmax": lambda x: F.softmax(x, dim=1),
}


class Conv2d(nn.Conv2d):
    """Keras Conv2D / DepthwiseConv2D (groups = input channels): explicit (left, right, top, bottom)
    padding, because TensorFlow's 'same' pads bottom/right more when the total is odd, and the
    layer's fused activation."""

    def __init__(self, cin, cout, kernel, stride, pad, dilation=(1, 1), groups=1, bias=True, activation="linear"):
        super().__init__(cin, cout, kernel, stride=stride, padding=0, dilation=dilation, groups=groups, bias=bias)
        self.pad = pad
        self.activation = activation

    def forward(self, x):
        if any(self.pad):
            x = F.pad(x, self.pad)
        return ACTIVATIONS[self.activation](super().forward(x))


class BatchNorm2d(nn.BatchNorm2d):
    """Keras BatchNormalization on the channel axis. Keras' momentum m is PyTorch's 1 - m."""

    def __init__(self, channels, eps, keras_momentum):
        super().__init__(channels, eps=eps, momentum=1.0 - keras_momentum)
        self.keras_momentum = keras_momentum


class BatchNorm1d(nn.BatchNorm1d):
    """Keras BatchNormalization after a dense layer (features on the last axis)."""

    def __init__(self, channels, eps, keras_momentum):
        super().__init__(channels, eps=eps, momentum=1.0 - keras_momentum)
        self.keras_momentum = keras_momentum


BATCHNORMS = (BatchNorm2d, BatchNorm1d)


class Activation(nn.Module):
    def __init__(self, name, max_value=None):
        super().__init__()
        self.name, self.max_value = name, max_value

    def forward(self, x):
        y = ACTIVATIONS[self.name](x)
        return y.clamp(max=self.max_value) if self.max_value is not None else y


class Pad(nn.Module):
    def __init__(self, pad):
        super().__init__()
        self.pad = pad

    def forward(self, x):
        return F.pad(x, self.pad)


class Pool2d(nn.Module):
    """Keras Max/AveragePooling2D; 'same' max pooling pads with -inf so padding never wins."""

    def __init__(self, mode, kernel, stride, pad):
        super().__init__()
        self.mode, self.kernel, self.stride, self.pad = mode, kernel, stride, pad

    def forward(self, x):
        if self.mode == "max":
            if any(self.pad):
                x = F.pad(x, self.pad, value=float("-inf"))
            return F.max_pool2d(x, self.kernel, self.stride)
        return F.avg_pool2d(x, self.kernel, self.stride)


class GlobalPool(nn.Module):
    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def forward(self, x):
        return x.mean(dim=(2, 3)) if self.mode == "average" else x.amax(dim=(2, 3))


class KerasFlatten(nn.Module):
    """Flattens in Keras' channels-last order, so dense kernels keep Keras' row order."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1) if x.dim() == 4 else x.flatten(1)


class Dense(nn.Linear):
    def __init__(self, cin, cout, bias=True, activation="linear"):
        super().__init__(cin, cout, bias=bias)
        self.activation = activation

    def forward(self, x):
        return ACTIVATIONS[self.activation](super().forward(x))
`;

export const TRAINING = String.raw`
# Graft's PRNG and data order, the augmentation draws, the metrics (compute_metrics), the
# schedules and the run folder are the same for every engine: see ../python/common.ts.

# ---------------------------------------------------------------- distributed set-up

def init_distributed():
    """torchrun sets RANK/WORLD_SIZE; a plain 'python3 train.py' runs as one process."""
    if "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1:
        dist.init_process_group("gloo")
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def distributed():
    return dist.is_available() and dist.is_initialized()


def all_gather(obj):
    if not distributed():
        return [obj]
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def all_sum(values):
    t = torch.tensor(values, dtype=torch.float64)
    if distributed():
        dist.all_reduce(t)
    return t.tolist()


# ---------------------------------------------------------------- data (src/runtime/data)

def load_split(split):
    """uint8 [N, H, W, C] images and int64 labels -> float [N, C, H, W] in [0, 1], labels."""
    files = SPLITS.get(split)
    if files is None:
        return None
    x = load_npy(files["images"])
    y = load_npy(files["labels"])
    return torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255.0).contiguous(), torch.from_numpy(y).long()


def normalize(x_unit):
    """normalize.ts affineFor: y = pixel * scale + offset for pixels in 0..255."""
    scale = torch.tensor(NORMALIZE["scale"]).view(1, -1, 1, 1) * 255.0
    offset = torch.tensor(NORMALIZE["offset"]).view(1, -1, 1, 1)
    return x_unit * scale + offset


def augment(x, draws, rows):
    """augment.ts augmentUnitBatch on [0, 1] images, with the draws of this rank's rows of the
    global batch: one affine map per image (bilinear, edge pixels repeated; nearest for flips
    alone), then contrast, brightness, clipping; noise after normalisation (see prepare)."""
    a = AUGMENT
    _, _, h, w = x.shape
    if draws["maps"]:
        m = torch.tensor([draws["maps"][i] for i in rows], dtype=torch.float32)
        ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
        in_x = m[:, 0, None, None] * xs + m[:, 1, None, None] * ys + m[:, 2, None, None]
        in_y = m[:, 3, None, None] * xs + m[:, 4, None, None] * ys + m[:, 5, None, None]
        grid = torch.stack([2 * in_x / max(w - 1, 1) - 1, 2 * in_y / max(h - 1, 1) - 1], dim=-1)
        flips_only = not any(a.get(k) for k in ("rotate", "zoom", "shift", "crop"))
        x = F.grid_sample(x, grid, mode="nearest" if flips_only else "bilinear", padding_mode="border", align_corners=True)
    if draws["contrast"]:
        mean = x.mean(dim=(2, 3), keepdim=True)
        x = (x - mean) * torch.tensor([draws["contrast"][i] for i in rows], dtype=torch.float32).view(-1, 1, 1, 1) + mean
    if draws["bright"]:
        x = x + torch.tensor([draws["bright"][i] for i in rows], dtype=torch.float32).view(-1, 1, 1, 1)
    if draws["bright"] or draws["contrast"]:
        x = x.clamp(0, 1)
    return x


def prepare(x_unit, draws=None, rows=None):
    """Training images with draws (augmented), else plain: normalised as the dataset says."""
    x = augment(x_unit, draws, rows) if draws is not None else x_unit
    x = normalize(x)
    if draws is not None and draws["noise"] is not None:
        # Noise is given in normalised units and added after normalisation.
        x = x + torch.from_numpy(draws["noise"][rows].astype(np.float32)).permute(0, 3, 1, 2)
    return x


# ---------------------------------------------------------------- losses (src/runtime/train/losses.ts)

def binary_terms(logits, targets):
    return F.relu(logits) - logits * targets + torch.log1p(torch.exp(-logits.abs()))


def loss_fn(logits, labels, sample_weights=None, reduce=True):
    spec = HEAD["loss"]
    classes = logits.shape[1]
    y = F.one_hot(labels, classes).float()
    kind = spec["kind"]
    if kind == "crossentropy":
        s = spec.get("smoothing", 0.0)
        targets = y * (1 - s) + s / classes if s > 0 else y
        per = -(targets * F.log_softmax(logits, dim=1)).sum(1)
    elif kind == "binary_crossentropy":
        per = binary_terms(logits, y).mean(1)
    elif kind == "focal":
        gamma, alpha = spec["gamma"], spec.get("alpha")
        if HEAD["activation"] == "softmax":
            log_p = F.log_softmax(logits, dim=1)
            per = -(y * (1 - log_p.exp()).pow(gamma) * log_p).sum(1)
            if alpha is not None:
                per = per * alpha
        else:
            p = torch.sigmoid(logits)
            p_t = y * p + (1 - y) * (1 - p)
            terms = (1 - p_t).pow(gamma) * binary_terms(logits, y)
            if alpha is not None:
                terms = terms * (y * alpha + (1 - y) * (1 - alpha))
            per = terms.mean(1)
    else:
        raise SystemExit("unknown loss " + kind)
    if sample_weights is not None:
        per = per * sample_weights
    return per.mean() if reduce else per


def probabilities(logits):
    return F.softmax(logits, dim=1) if HEAD["activation"] == "softmax" else torch.sigmoid(logits)


def class_weights():
    """losses.ts classWeights: n / (C * n_c), 0 for an empty class (balance class_weights)."""
    if BALANCE != "class_weights" or HEAD["activation"] != "softmax":
        return None
    n, c = sum(TRAIN_COUNTS), len(TRAIN_COUNTS)
    return torch.tensor([n / (c * k) if k > 0 else 0.0 for k in TRAIN_COUNTS])


# ---------------------------------------------------------------- metrics (src/runtime/eval/metrics.ts)

def evaluate(net, data, rank, world, batch=64):
    """Each rank predicts its share (every world-th sample); the shares are gathered so every rank
    computes the same metrics (and takes the same early-stopping decisions)."""
    x, y = data
    mine = list(range(rank, x.shape[0], world))
    if distributed():
        # DDP hands rank 0's BatchNorm statistics to the others only at the next training step:
        # give them now, so every rank evaluates the same network.
        for buf in net.buffers():
            dist.broadcast(buf, 0)
    net.eval()
    probs, loss_sum = [], 0.0
    with torch.no_grad():
        for i in range(0, len(mine), batch):
            idx = mine[i:i + batch]
            logits = net(normalize(x[idx]))
            loss_sum += loss_fn(logits, y[idx]).item() * len(idx)
            probs.append(probabilities(logits).numpy())
    p = np.concatenate(probs) if probs else np.zeros((0, len(CLASSES)), dtype=np.float32)
    parts = all_gather((mine, p, loss_sum))
    order = np.concatenate([np.asarray(idx, dtype=np.int64) for idx, _, _ in parts])
    allp = np.concatenate([q for _, q, _ in parts])
    full = np.zeros_like(allp)
    full[order] = allp
    out = {"loss": sum(s for _, _, s in parts) / x.shape[0]}
    out.update(compute_metrics(full, y.numpy()))
    return out, [len(idx) for idx, _, _ in parts]


# ---------------------------------------------------------------- optimizers (src/runtime/train/optimizers.ts)

def make_optimizer(stage, net):
    """Two parameter groups: the head at the optimizer's lr, unfrozen backbone layers at
    backbone_lr (the same ratio under every schedule). AdamW decays kernels only."""
    opt = stage["optimizer"]
    lr = opt["lr"]
    backbone_lr = stage["backbone_lr"] if stage["backbone_lr"] is not None else lr
    groups = []
    for part, names, ratio in (("head", HEAD_LAYERS, 1.0), ("backbone", BACKBONE_LAYERS, backbone_lr / lr)):
        params = [p for n in names if n in net.layers for p in net.layers[n].parameters() if p.requires_grad]
        decayed = [p for p in params if p.dim() >= 2]
        plain = [p for p in params if p.dim() < 2]
        for ps, decays in ((decayed, True), (plain, False)):
            if ps:
                wd = opt["decay"] if opt["kind"] == "adamw" and decays else 0.0
                groups.append({"params": ps, "lr": lr * ratio, "ratio": ratio, "weight_decay": wd, "part": part})
    if not groups:
        raise SystemExit("%s: error: stage %s has nothing to train" % (stage["at"], stage["name"]))
    kind = opt["kind"]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=opt["momentum"], nesterov=opt["nesterov"])
    if kind == "adam":
        return torch.optim.Adam(groups, lr=lr, betas=(0.9, 0.999), eps=1e-7)
    if kind == "adamw":
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-7)
    if kind == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, alpha=0.9, eps=1e-7, momentum=opt["momentum"])
    raise SystemExit("unknown optimizer " + kind)


# ---------------------------------------------------------------- freezing and BatchNorm (src/runtime/train/model.ts)

def bn_layers(net, names):
    return [net.layers[n] for n in names if isinstance(net.layers[n], BATCHNORMS)]


def apply_stage_freezing(net, stage):
    """Weights train in the head and in the stage's trainable backbone layers; a backbone
    BatchNorm that does not train runs in inference mode (Keras' fine-tuning recipe)."""
    trainable = set(stage["trainable_layers"]) | set(HEAD_LAYERS)
    for name, module in net.layers.items():
        for p in module.parameters():
            p.requires_grad_(name in trainable)


def set_train_mode(net, stage):
    net.train()
    trainable = set(stage["trainable_layers"])
    for name in BACKBONE_LAYERS:
        if isinstance(net.layers[name], BATCHNORMS) and name not in trainable:
            net.layers[name].eval()


def recalibrate_batchnorm(net, names, x, batch, rank, world, epoch_key, max_batches=PRECISE_BN_BATCHES):
    """Precise BatchNorm (model.ts recalibrateBatchNorm): the moving statistics become the plain mean
    of per-batch statistics over the first max_batches unaugmented training batches of Graft's
    order for epoch_key (each rank its share of each), averaged over the ranks."""
    layers = bn_layers(net, names)
    if not layers:
        return 0
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # cumulative average
    net.eval()
    for layer in layers:
        layer.train()
    used = 0
    with torch.no_grad():
        for glob in global_batches(x.shape[0], batch, epoch_key)[:max_batches]:
            rows = rank_share(len(glob), rank, world)
            if rows:
                net(normalize(x[[glob[i] for i in rows]]))
            used += 1
    for layer in layers:
        layer.momentum = 1.0 - layer.keras_momentum
        if distributed():
            for buf in (layer.running_mean, layer.running_var):
                dist.all_reduce(buf)
                buf.div_(world)
    return used


# ---------------------------------------------------------------- training (src/runtime/train/trainer.ts)

def train_stage(si, stage, net, train, val, rank, world, log):
    apply_stage_freezing(net, stage)
    model = DDP(net) if distributed() else net
    optimizer = make_optimizer(stage, net)
    x, y = train
    n = x.shape[0]
    # Graft's batch is the global batch: each of the world ranks takes its share of every batch,
    # and scales its loss by world / batch size, so DDP's gradient average is Graft's batch mean.
    steps = max(1, math.ceil(n / stage["batch"]))
    weights = class_weights()
    progress = StageProgress(stage)
    best_state, counts = None, []
    base_lr = stage["optimizer"]["lr"]
    img_h, img_w = IMAGE["height"], IMAGE["width"]
    for epoch in range(stage["epochs"]):
        started = time.time()
        epoch_key = si * 100000 + epoch  # trainer.ts: the epoch a stage's batches are seeded with
        batches = global_batches(n, stage["batch"], epoch_key)
        mine = [glob[i] for glob in batches for i in rank_share(len(glob), rank, world)]
        counts.append({"samples": len(mine), "distinct": len(set(mine))})
        if epoch == 0:
            # How many different training samples the ranks covered together (all, when the shares are disjoint).
            counts[0]["coveredByAllRanks"] = len(set().union(*all_gather(mine)))
        set_train_mode(net, stage)
        loss_sum, correct, seen, lr = 0.0, 0.0, 0, base_lr
        for step, glob in enumerate(batches):
            rows = rank_share(len(glob), rank, world)
            if len(glob) < world:
                continue  # a last batch smaller than the world: no share for some rank, so no step anywhere
            lr = progress.lr(epoch, step, steps)
            for g in optimizer.param_groups:
                g["lr"] = lr * g["ratio"]
            idx = [glob[i] for i in rows]
            draws = draw_augment(len(glob), img_h, img_w, epoch_key, step) if AUGMENT else None
            xb, yb = prepare(x[idx], draws, rows), y[idx]
            logits = model(xb)
            per_sample = loss_fn(logits, yb, weights[yb] if weights is not None else None, reduce=False)
            loss = per_sample.sum() * world / len(glob)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if stage["clip_norm"] is not None:
                torch.nn.utils.clip_grad_norm_([p for g in optimizer.param_groups for p in g["params"]], stage["clip_norm"])
            optimizer.step()
            loss_sum += per_sample.sum().item()
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(idx)
        loss_sum, correct, seen = all_sum([loss_sum, correct, seen])
        metrics = {"loss": loss_sum / seen if seen else float("nan")}
        if HEAD["activation"] == "softmax":
            metrics["accuracy"] = correct / seen if seen else float("nan")
        if val is not None:
            values, _ = evaluate(net, val, rank, world, max(stage["batch"], 64))
            for k, v in values.items():
                if not isinstance(v, list):
                    metrics["val_" + k] = v
        new_best, stop = progress.end_epoch(epoch, lr, metrics, time.time() - started, log)
        if new_best:
            best_state = copy.deepcopy(net.state_dict())
        if stop:
            break
    if progress.finish():
        net.load_state_dict(best_state)
    trained_bn = [n for n in stage["trainable_layers"] if isinstance(net.layers[n], BATCHNORMS)]
    if trained_bn:
        used = recalibrate_batchnorm(net, trained_bn, x, stage["batch"], rank, world, 999_999)
        log("  stage %s: BatchNorm statistics recomputed over %d training batches" % (stage["name"], used))
    return progress.result, counts


def load_initial_weights(net):
    """weights/*.npy (converted from Graft's tfjs weights at export time) into the state dict."""
    with open(os.path.join(HERE, "weights", "index.json")) as f:
        index = json.load(f)
    state = {k: torch.from_numpy(load_npy("weights", v["file"])) for k, v in index["tensors"].items()}
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise SystemExit("weights/index.json does not fit the network: missing %s, unexpected %s" % (missing, unexpected))


def main():
    args = parse_args("DistributedDataParallel", "torch threads per process (default: torch's choice; OMP_NUM_THREADS also works)")
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world = init_distributed()
    torch.manual_seed(SEED * 1000 + rank)
    log = (lambda m: print(m, flush=True)) if rank == 0 else (lambda m: None)
    started = time.time()
    train, val, test = load_split("train"), load_split("val"), load_split("test")
    net = GraftNet()
    load_initial_weights(net)

    run_dir = None
    results = None
    if rank == 0:
        run_dir, results = start_run(args.run_dir, args.runs_dir, ENGINE + (" (gloo, %d processes)" % world if world > 1 else " (1 process)"))
        log("run %s -> %s (torch %s, %d process%s, seed %d)" % (EXPERIMENT, run_dir, torch.__version__, world, "es" if world > 1 else "", SEED))

    status, error = "completed", None
    stages, sample_counts, metrics, eval_counts = [], {}, {}, {}
    try:
        if not PRETRAINED:
            # trainer.ts: a randomly initialised backbone gets BatchNorm statistics of the data first.
            used = recalibrate_batchnorm(net, BACKBONE_LAYERS, train[0], STAGES[0]["batch"], rank, world, 999_998)
            log("  the backbone starts from random weights: BatchNorm statistics estimated on %d training batches" % used)
        for si, stage in enumerate(STAGES):
            log("stage %s: %d epochs, %d trainable parameters" % (stage["name"], stage["epochs"], stage["trainable_params"]))
            result, counts = train_stage(si, stage, net, train, val, rank, world, log)
            stages.append(result)
            sample_counts[stage["name"]] = counts
        for split, data in (("val", val), ("test", test if "test" in EVALUATE else None)):
            if data is not None:
                metrics[split], eval_counts[split] = evaluate(net, data, rank, world)
    except SystemExit as e:
        status, error = "failed", {"message": str(e)}
        log(str(e))
    per_rank = all_gather(sample_counts)
    if rank == 0:
        close_run(run_dir, results, status, error, stages, metrics, lambda d: torch.save(net.state_dict(), os.path.join(d, "model.pt")))
        results["engine"] = {
            "name": ENGINE,
            "version": "torch " + torch.__version__,
            "worldSize": world,
            "distributedBackend": "gloo" if world > 1 else None,
            "device": "cpu",
            "samples": {
                "train": {
                    "total": int(train[0].shape[0]),
                    # Per stage, per epoch: the samples each rank trained on (its share of every global batch).
                    "perRank": [{"rank": r, "stages": per_rank[r]} for r in range(world)],
                },
                **({k: {"total": sum(v), "perRank": v} for k, v in eval_counts.items()} if not error else {}),
            },
        }
        finish_run(run_dir, results, started, log)
    if distributed():
        dist.barrier()
        dist.destroy_process_group()
    sys.exit(0 if status == "completed" else 1)


if __name__ == "__main__":
    main()
`;
