// Python that every exported project shares whatever its engine (plain Python and NumPy, no
// framework): Graft's PRNG and data order, the augmentation draws, the metrics, the schedules and
// the run folder. Each section names the TypeScript it ports; keep the two in step, since an exported
// run is compared number for number with a local one.

/** Graft's PRNG (mulberry32), the epoch order and each process's share of a global batch. */
export const PRNG = String.raw`
# ---------------------------------------------------------------- Graft's PRNG (src/runtime/data/prng.ts)
# The data order and the augmentation draws are Graft's own, so each global batch holds the same
# images, augmented the same way, as in a local run of the same seed.

MASK = 0xFFFFFFFF


def mix_seed(*parts):
    """prng.ts mixSeed: FNV-1a over the parts' text, then murmur3's fmix32."""
    h = 0x811C9DC5
    for part in parts:
        for ch in str(part):
            h = ((h ^ ord(ch)) * 0x01000193) & MASK
        h = ((h ^ 0xFF) * 0x01000193) & MASK
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & MASK
    h ^= h >> 16
    return h


class Mulberry32:
    """prng.ts mulberry32. Its state is a counter, so a block of draws is computed at once (take)."""

    def __init__(self, seed):
        self.a = seed & MASK

    def __call__(self):
        self.a = (self.a + 0x6D2B79F5) & MASK
        t = self.a
        t = ((t ^ (t >> 15)) * (t | 1)) & MASK
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & MASK)) & MASK
        return ((t ^ (t >> 14)) & MASK) / 4294967296.0

    def take(self, n):
        a = (np.uint64(self.a) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x6D2B79F5)) & np.uint64(MASK)
        if n:
            self.a = int(a[-1])
        t = ((a ^ (a >> np.uint64(15))) * (a | np.uint64(1))) & np.uint64(MASK)
        t ^= (t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & np.uint64(MASK))) & np.uint64(MASK)
        return ((t ^ (t >> np.uint64(14))) & np.uint64(MASK)).astype(np.float64) / 4294967296.0

    def uniform(self, lo, hi):
        return lo + (hi - lo) * self()

    def gaussians(self, n):
        """prng.ts gaussian (Box-Muller), n of them."""
        draws = self.take(2 * n)
        u, v = draws[0::2], draws[1::2]
        if (u <= np.finfo(np.float64).eps).any():  # Graft redraws u; rare enough to go one by one
            self.a = (self.a - 2 * n * 0x6D2B79F5) & MASK
            out = np.empty(n)
            for i in range(n):
                w = self()
                while w <= np.finfo(np.float64).eps:
                    w = self()
                out[i] = math.sqrt(-2 * math.log(w)) * math.cos(2 * math.pi * self())
            return out
        return np.sqrt(-2 * np.log(u)) * np.cos(2 * np.pi * v)


def shuffled(n, seed):
    """prng.ts shuffleInPlace (Fisher-Yates) of 0..n-1."""
    items = list(range(n))
    draws = Mulberry32(seed).take(max(0, n - 1))
    for step, i in enumerate(range(n - 1, 0, -1)):
        j = int(draws[step] * (i + 1))
        items[i], items[j] = items[j], items[i]
    return items


def global_batches(n, batch, epoch_key):
    """dataset.ts epochOrder + batches: the shuffled order of the epoch cut into batches of Graft's size."""
    order = shuffled(n, mix_seed(SEED, "order", epoch_key))
    return [order[at:at + batch] for at in range(0, n, batch)]


def rank_share(batch_len, rank, world):
    """Positions of a global batch this rank takes: contiguous, as equal as possible."""
    bounds = [batch_len * r // world for r in range(world + 1)]
    return list(range(bounds[rank], bounds[rank + 1]))
`;

/** The augmentation draws of one global batch (each engine moves the pixels with its own ops). */
export const AUGMENT_DRAWS = String.raw`
# ---------------------------------------------------------------- augmentation draws (src/runtime/data/augment.ts)

def draw_transform(a, width, height, rng):
    """augment.ts drawTransform: the output->input pixel map of flip, rotate, zoom, shift and crop."""
    flip = a.get("flip")
    flip_x = rng() < 0.5 if flip in ("horizontal", "both") else False
    flip_y = rng() < 0.5 if flip in ("vertical", "both") else False
    theta = rng.uniform(-a["rotate"], a["rotate"]) * math.pi / 180 if a.get("rotate") else 0.0
    scale = rng.uniform(1 - a["zoom"], 1 + a["zoom"]) if a.get("zoom") else 1.0
    tx = rng.uniform(-a["shift"], a["shift"]) * width if a.get("shift") else 0.0
    ty = rng.uniform(-a["shift"], a["shift"]) * height if a.get("shift") else 0.0
    l, r, t, b = [rng() * a["crop"] for _ in range(4)] if a.get("crop") else (0.0, 0.0, 0.0, 0.0)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    kx, ky = 1 - l - r, 1 - t - b
    k0x, k0y = l * (width - 1), t * (height - 1)
    cos, sin = math.cos(theta), math.sin(theta)
    fx, fy = (-1 if flip_x else 1), (-1 if flip_y else 1)
    l00, l01, l10, l11 = fx * cos / scale, fx * sin / scale, fy * -sin / scale, fy * cos / scale
    px, py = k0x - cx - tx, k0y - cy - ty
    return [l00 * kx, l01 * ky, l00 * px + l01 * py + cx, l10 * kx, l11 * ky, l10 * px + l11 * py + cy]


def draw_augment(batch_len, height, width, epoch_key, batch_index):
    """The draws Graft makes for one global batch (dataset.ts toBatch, augment.ts augmentUnitBatch):
    per image its geometry, brightness and contrast, then noise for the whole batch (NHWC order)."""
    a = AUGMENT
    rng = Mulberry32(mix_seed(SEED, "augment", epoch_key, batch_index))
    geometry = any(a.get(k) for k in ("flip", "rotate", "zoom", "shift", "crop"))
    maps, bright, contrast = [], [], []
    for _ in range(batch_len):
        if geometry:
            maps.append(draw_transform(a, width, height, rng))
        if a.get("brightness"):
            bright.append(rng.uniform(-a["brightness"], a["brightness"]))
        if a.get("contrast"):
            contrast.append(rng.uniform(max(0.0, 1 - a["contrast"]), 1 + a["contrast"]))
    noise = None
    if a.get("noise"):
        noise = rng.gaussians(batch_len * height * width * IMAGE["channels"]).reshape(batch_len, height, width, IMAGE["channels"]) * a["noise"]
    return {"maps": maps, "bright": bright, "contrast": contrast, "noise": noise}
`;

/** Metrics of single-label predictions (NumPy), as src/runtime/eval/metrics.ts computes them. */
export const METRICS = String.raw`
# ---------------------------------------------------------------- metrics (src/runtime/eval/metrics.ts)

def metric_key(m):
    if m["kind"] == "top":
        return "top_%d" % m["k"]
    if m["kind"] in ("precision", "recall", "f1"):
        return "%s_%s" % (m["kind"], m["average"])
    return m["kind"]


def compute_metrics(probs, labels, with_confusion=True):
    """metricsOf/computeMetrics for single-label predictions: accuracy always, then METRICS."""
    n, c = probs.shape
    pred = probs.argmax(1)
    confusion = np.zeros((c, c), dtype=np.int64)
    np.add.at(confusion, (labels, pred), 1)
    tp = np.diag(confusion).astype(np.float64)
    fp = confusion.sum(0) - tp
    fn = confusion.sum(1) - tp
    ratio = lambda a, b: float(a / b) if b > 0 else 0.0
    out = {}
    wanted = METRICS if any(m["kind"] == "accuracy" for m in METRICS) else [{"kind": "accuracy"}] + METRICS
    for m in wanted:
        key, kind = metric_key(m), m["kind"]
        if kind == "accuracy":
            out[key] = ratio(tp.sum(), n)
        elif kind == "top":
            truth = probs[np.arange(n), labels]
            higher = (probs > truth[:, None]).sum(1)
            out[key] = ratio(float((higher < m["k"]).sum()), n)
        elif kind in ("precision", "recall", "f1"):
            if m["average"] == "micro":
                p, r = ratio(tp.sum(), tp.sum() + fp.sum()), ratio(tp.sum(), tp.sum() + fn.sum())
                values = {"precision": p, "recall": r, "f1": ratio(2 * p * r, p + r)}
            else:
                ps = [ratio(tp[i], tp[i] + fp[i]) for i in range(c)]
                rs = [ratio(tp[i], tp[i] + fn[i]) for i in range(c)]
                fs = [ratio(2 * ps[i] * rs[i], ps[i] + rs[i]) for i in range(c)]
                values = {"precision": float(np.mean(ps)), "recall": float(np.mean(rs)), "f1": float(np.mean(fs))}
            out[key] = values[kind]
        elif kind == "confusion" and with_confusion:
            out[key] = confusion.tolist()
    return out
`;

/** Learning-rate schedules, improvement tests, monitors, plateau, and a stage's progress (history, best checkpoint, early stopping). */
export const SCHEDULES = String.raw`
# ---------------------------------------------------------------- schedules (src/runtime/train/schedules.ts)

def js_round(v):
    return math.floor(v + 0.5)


def cosine_between(start, end, t):
    return end + (start - end) * (1 + math.cos(math.pi * min(1.0, max(0.0, t)))) / 2


def scheduled_lr(schedule, base, epoch, step, epochs, steps_per_epoch):
    total = max(1, epochs * steps_per_epoch)
    k = epoch * steps_per_epoch + step
    kind = schedule["kind"]
    if kind in ("constant", "plateau"):
        return base
    if kind == "step":
        return base * schedule["factor"] ** (epoch // max(1, schedule["every"]))
    if kind == "cosine":
        warm = min(total - 1, js_round(schedule["warmup"] * steps_per_epoch))
        if k < warm:
            return base * (k + 1) / warm
        return cosine_between(base, 0.0, (k - warm) / max(1, total - warm))
    if kind == "one_cycle":
        initial = base / 25
        final = initial / 1e4
        peak = max(1, js_round(0.3 * total) - 1)
        if k <= peak:
            return cosine_between(initial, base, k / peak)
        return cosine_between(base, final, (k - peak) / max(1, total - 1 - peak))
    raise SystemExit("unknown schedule " + kind)


def lower_is_better(monitor):
    return re.search(r"(^|_)loss$", monitor) is not None


def improved(monitor, value, best, min_delta=0.0):
    if best is None or not math.isfinite(best):
        return math.isfinite(value)
    return value < best - min_delta if lower_is_better(monitor) else value > best + min_delta


def monitor_value(metrics, monitor):
    """trainer.ts monitorValue: 'val_f1' also matches 'val_f1_macro'."""
    if monitor in metrics:
        return metrics[monitor]
    for k, v in metrics.items():
        if k.startswith(monitor + "_"):
            return v
    return None


class Plateau:
    def __init__(self, schedule, monitor):
        self.schedule, self.monitor, self.factor, self.best, self.waited = schedule, monitor, 1.0, None, 0

    def end_epoch(self, metrics):
        if self.schedule["kind"] != "plateau" or self.monitor not in metrics:
            return
        value = metrics[self.monitor]
        if improved(self.monitor, value, self.best):
            self.best, self.waited = value, 0
        else:
            self.waited += 1
            if self.waited >= self.schedule["patience"]:
                self.factor *= self.schedule["factor"]
                self.waited = 0

class StageProgress:
    """trainer.ts, per stage: the StageResult (history per epoch), the plateau schedule, the best
    checkpoint's monitor and early stopping. Engines train; this decides, identically for both."""

    def __init__(self, stage):
        self.stage = stage
        self.early = stage["early_stop"]
        self.monitor = (stage["checkpoint"] or {}).get("monitor") or (self.early or {}).get("monitor")
        self.plateau = Plateau(stage["schedule"], (self.early or {}).get("monitor") or "val_loss")
        self.best = None
        self.waited = 0
        self.result = {
            "phase": "main", "name": stage["name"], "epochs": stage["epochs"], "epochsRun": 0, "stoppedEarly": False,
            "trainableParams": stage["trainable_params"], "trainableLayers": stage["trainable_layers"], "seconds": 0.0, "history": [],
        }
        if self.monitor:
            self.result["monitor"] = self.monitor

    def lr(self, epoch, step, steps):
        return self.plateau.factor * scheduled_lr(self.stage["schedule"], self.stage["optimizer"]["lr"], epoch, step, self.stage["epochs"], steps)

    def end_epoch(self, epoch, lr, metrics, seconds, log):
        """Records the epoch; returns (new_best, stop): keep the weights when new_best, end the stage when stop."""
        stage, result = self.stage, self.result
        if not math.isfinite(metrics["loss"]):
            raise SystemExit("%s: error: the loss became %s in stage %s, epoch %d: lower the learning rate (%s) or add clip_norm"
                             % (stage["at"], metrics["loss"], stage["name"], epoch + 1, stage["optimizer"]["lr"]))
        result["history"].append({"epoch": epoch + 1, "lr": lr, "metrics": metrics, "seconds": seconds})
        result["epochsRun"] = epoch + 1
        result["seconds"] += seconds
        log("  [%s] epoch %d/%d %s lr %.3g (%.1f s)" % (stage["name"], epoch + 1, stage["epochs"],
            " ".join("%s %.4f" % kv for kv in metrics.items()), lr, seconds))
        self.plateau.end_epoch(metrics)
        new_best = False
        if self.monitor:
            value = monitor_value(metrics, self.monitor)
            if value is not None and improved(self.monitor, value, self.best["value"] if self.best else None):
                self.best = {"value": value, "epoch": epoch + 1}
                new_best = True
        early = self.early
        if early:
            value = monitor_value(metrics, early["monitor"])
            if value is not None:
                es_best = None
                for h in result["history"][:-1]:
                    v = monitor_value(h["metrics"], early["monitor"])
                    if v is not None and improved(early["monitor"], v, es_best):
                        es_best = v
                if improved(early["monitor"], value, es_best, early["min_delta"]):
                    self.waited = 0
                else:
                    self.waited += 1
                    if self.waited >= early["patience"]:
                        result["stoppedEarly"] = True
                        log("  early stop in stage %s after epoch %d: %s did not improve for %d epochs"
                            % (stage["name"], epoch + 1, early["monitor"], early["patience"]))
                        return new_best, True
        return new_best, False

    def finish(self):
        """The StageResult; True when a best checkpoint is to be restored."""
        if self.best:
            self.result["bestEpoch"], self.result["bestValue"] = self.best["epoch"], self.best["value"]
        return self.best is not None
`;

/** The run folder: run ids, atomic JSON writes, the folder's start (copies, results 'running') and finish. */
export const RUN_FOLDER = String.raw`
# ---------------------------------------------------------------- the run folder (src/runtime/runs/run-dir.ts)

def new_run_dir(runs_root):
    """run-dir.ts newRunId: UTC YYYYMMDD-HHMMSS, -2, -3 … when taken."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    base = os.path.join(runs_root, EXPERIMENT)
    run_id, k = stamp, 2
    while os.path.exists(os.path.join(base, run_id)):
        run_id, k = "%s-%d" % (stamp, k), k + 1
    return os.path.join(base, run_id)


def write_json(path, value):
    tmp = path + ".tmp-%d" % os.getpid()
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def iso_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def start_run(run_dir, runs_dir, backend):
    """run-dir.ts: a new run folder (or exactly run_dir) with copies of the spec, plan and split,
    and results.json from the template, status 'running'. Returns the folder and the results."""
    run_dir = os.path.abspath(run_dir) if run_dir else new_run_dir(runs_dir)
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(HERE, "results-template.json")) as f:
        results = json.load(f)
    results.update({"runId": os.path.basename(run_dir), "status": "running", "started": iso_now(), "backend": backend})
    for name, as_name in (("plan.json", "plan.json"), ("splits.json", "splits.json"), ("spec.graft.txt", "spec.graft")):
        shutil.copyfile(os.path.join(HERE, name), os.path.join(run_dir, as_name))
    write_json(os.path.join(run_dir, "results.json"), results)
    return run_dir, results


def finish_run(run_dir, results, started, log):
    """results.json's last write: when it finished and how long it took; the headline in the log."""
    results["finished"] = iso_now()
    results["seconds"] = time.time() - started
    write_json(os.path.join(run_dir, "results.json"), results)
    metrics = results.get("metrics") or {}
    if results["status"] == "completed":
        log("test: %s" % json.dumps({k: v for k, v in metrics.get("test", metrics.get("val", {})).items() if not isinstance(v, list)}))
    log("results: %s" % os.path.join(run_dir, "results.json"))


def parse_args(how, threads_help):
    """The command line every exported train.py takes."""
    p = argparse.ArgumentParser(description="Train %s (exported from Graft) with %s." % (EXPERIMENT, how))
    p.add_argument("--runs-dir", default=RUNS_ROOT, help="Graft's runs folder; the run goes to <runs-dir>/%s/<run-id>/" % EXPERIMENT)
    p.add_argument("--run-dir", default=None, help="write the run into exactly this folder")
    p.add_argument("--threads", type=int, default=None, help=threads_help)
    return p.parse_args()


def close_run(run_dir, results, status, error, stages, metrics, save_model):
    """The outcome into results.json's fields; a completed run also saves its model (save_model
    writes into the given folder) and the class names beside it."""
    results["stages"] = stages
    results["status"] = status
    if error:
        results["error"] = error
        return
    results["metrics"] = metrics
    model_dir = os.path.join(run_dir, "model")
    os.makedirs(model_dir, exist_ok=True)
    save_model(model_dir)
    with open(os.path.join(model_dir, "labels.json"), "w") as f:
        json.dump(CLASSES, f, indent=2)


def load_npy(*parts):
    """A project file (data/, weights/) as a NumPy array; a missing or damaged one stops the run
    with its name and what to do, not a traceback."""
    path = os.path.join(HERE, *parts)
    try:
        return np.load(path)
    except (OSError, ValueError) as e:
        raise SystemExit("%s: cannot be read (%s); export the project again with 'graft export'" % (path, e))
`;
