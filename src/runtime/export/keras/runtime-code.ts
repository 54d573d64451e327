// The fixed part of an exported Keras project's train.py: tf.distribute set-up, data (NumPy),
// losses, optimizers, freezing, precise BatchNorm, the custom training loop and results.json.
// It follows the PyTorch target's structure (../pytorch/runtime-code.ts) and shares its
// framework-free parts (../python/common.ts), so the two engines train the same plan the same way.
// It cannot run here (no TensorFlow offline): test/export/keras-export.test.ts parses it and checks
// that it names every layer and hyperparameter of the plan.

export const KERAS_TRAINING = String.raw`
# ---------------------------------------------------------------- distribution (tf.distribute)

def make_strategy():
    """MultiWorkerMirroredStrategy when TF_CONFIG describes a cluster (one process per machine, see
    README.md), else MirroredStrategy over this machine's GPUs (or its CPU)."""
    if os.environ.get("TF_CONFIG"):
        return tf.distribute.MultiWorkerMirroredStrategy(), "multi_worker_mirrored"
    return tf.distribute.MirroredStrategy(), "mirrored"


def is_chief(strategy):
    """The process that writes the run folder: the chief, else worker 0 (one process: itself)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None) if resolver is not None else None
    if not task_type:
        return True
    return task_type == "chief" or (task_type == "worker" and resolver.task_id == 0)


# ---------------------------------------------------------------- data (src/runtime/data)

def load_split(split):
    """uint8 [N, H, W, C] images and int64 labels -> float32 [N, H, W, C] in [0, 1], labels."""
    files = SPLITS.get(split)
    if files is None:
        return None
    x = load_npy(files["images"]).astype(np.float32) / 255.0
    y = load_npy(files["labels"]).astype(np.int64)
    return x, y


def normalize(x_unit):
    """normalize.ts affineFor: y = pixel * scale + offset for pixels in 0..255, per channel."""
    scale = np.asarray(NORMALIZE["scale"], dtype=np.float32) * 255.0
    offset = np.asarray(NORMALIZE["offset"], dtype=np.float32)
    return (x_unit * scale + offset).astype(np.float32)


def warp(img, m, nearest):
    """One image through the output->input pixel map m (augment.ts): bilinear with edge pixels
    repeated, or nearest for flips alone."""
    h, w, _ = img.shape
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij")
    in_x = np.clip(m[0] * xs + m[1] * ys + m[2], 0, w - 1)
    in_y = np.clip(m[3] * xs + m[4] * ys + m[5], 0, h - 1)
    if nearest:
        return img[np.rint(in_y).astype(np.int64), np.rint(in_x).astype(np.int64)]
    x0, y0 = np.floor(in_x).astype(np.int64), np.floor(in_y).astype(np.int64)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = (in_x - x0)[..., None], (in_y - y0)[..., None]
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def augment(x, draws, rows):
    """augment.ts augmentUnitBatch on [0, 1] images with the draws of these rows of the global
    batch: the affine map per image, then contrast, brightness and clipping."""
    a = AUGMENT
    x = x.copy()
    if draws["maps"]:
        nearest = not any(a.get(k) for k in ("rotate", "zoom", "shift", "crop"))
        for i, r in enumerate(rows):
            x[i] = warp(x[i], draws["maps"][r], nearest)
    if draws["contrast"]:
        mean = x.mean(axis=(1, 2), keepdims=True)
        x = (x - mean) * np.asarray([draws["contrast"][r] for r in rows], dtype=np.float32).reshape(-1, 1, 1, 1) + mean
    if draws["bright"]:
        x = x + np.asarray([draws["bright"][r] for r in rows], dtype=np.float32).reshape(-1, 1, 1, 1)
    if draws["bright"] or draws["contrast"]:
        x = np.clip(x, 0.0, 1.0)
    return x


def prepare(x_unit, draws=None, rows=None):
    """Training images with draws (augmented), else plain: normalised as the dataset says; noise
    is given in normalised units and added after normalisation."""
    x = normalize(augment(x_unit, draws, rows) if draws is not None else x_unit)
    if draws is not None and draws["noise"] is not None:
        x = x + draws["noise"][rows].astype(np.float32)
    return x


# ---------------------------------------------------------------- losses (src/runtime/train/losses.ts)

def binary_terms(logits, targets):
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)


def per_sample_loss(logits, labels):
    """The head's loss of each sample, on logits."""
    spec = HEAD["loss"]
    classes = len(CLASSES)
    y = tf.one_hot(labels, classes)
    kind = spec["kind"]
    if kind == "crossentropy":
        s = spec.get("smoothing", 0.0)
        targets = y * (1 - s) + s / classes if s > 0 else y
        return -tf.reduce_sum(targets * tf.nn.log_softmax(logits, axis=-1), axis=-1)
    if kind == "binary_crossentropy":
        return tf.reduce_mean(binary_terms(logits, y), axis=-1)
    if kind == "focal":
        gamma, alpha = spec["gamma"], spec.get("alpha")
        if HEAD["activation"] == "softmax":
            log_p = tf.nn.log_softmax(logits, axis=-1)
            per = -tf.reduce_sum(y * tf.pow(1 - tf.exp(log_p), gamma) * log_p, axis=-1)
            return per * alpha if alpha is not None else per
        p = tf.sigmoid(logits)
        p_t = y * p + (1 - y) * (1 - p)
        terms = tf.pow(1 - p_t, gamma) * binary_terms(logits, y)
        if alpha is not None:
            terms = terms * (y * alpha + (1 - y) * (1 - alpha))
        return tf.reduce_mean(terms, axis=-1)
    raise SystemExit("unknown loss " + kind)


def probabilities(logits):
    return tf.nn.softmax(logits, axis=-1) if HEAD["activation"] == "softmax" else tf.sigmoid(logits)


def class_weights():
    """losses.ts classWeights: n / (C * n_c), 0 for an empty class (balance class_weights)."""
    if BALANCE != "class_weights" or HEAD["activation"] != "softmax":
        return None
    n, c = sum(TRAIN_COUNTS), len(TRAIN_COUNTS)
    return np.asarray([n / (c * k) if k > 0 else 0.0 for k in TRAIN_COUNTS], dtype=np.float32)


def evaluate(model, data, batch=64):
    """Loss and metrics of a split. Every process evaluates the whole split with the same weights
    (they are mirrored), so all take the same early-stopping decisions without a gather."""
    x, y = data
    probs, loss_sum = [], 0.0
    for i in range(0, x.shape[0], batch):
        logits = model(normalize(x[i:i + batch]), training=False)
        loss_sum += float(tf.reduce_sum(per_sample_loss(logits, y[i:i + batch])))
        probs.append(probabilities(logits).numpy())
    p = np.concatenate(probs) if probs else np.zeros((0, len(CLASSES)), dtype=np.float32)
    out = {"loss": loss_sum / max(1, x.shape[0])}
    out.update(compute_metrics(p, y))
    return out


# ---------------------------------------------------------------- optimizers (src/runtime/train/optimizers.ts)

def make_optimizer(stage, lr):
    """Keras' own optimizers with Graft's settings (epsilon 1e-7, RMSprop rho 0.9); AdamW decays
    kernels only."""
    opt = stage["optimizer"]
    kind = opt["kind"]
    if kind == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=opt["momentum"], nesterov=opt["nesterov"])
    if kind == "adam":
        return keras.optimizers.Adam(learning_rate=lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    if kind == "adamw":
        o = keras.optimizers.AdamW(learning_rate=lr, weight_decay=opt["decay"], beta_1=0.9, beta_2=0.999, epsilon=1e-7)
        o.exclude_from_weight_decay(var_names=["bias", "gamma", "beta", "moving_mean", "moving_variance"])
        return o
    if kind == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr, rho=0.9, momentum=opt["momentum"], epsilon=1e-7)
    raise SystemExit("unknown optimizer " + kind)


# ---------------------------------------------------------------- freezing and BatchNorm (src/runtime/train/model.ts)

def apply_stage_freezing(model, stage):
    """Weights train in the head and in the stage's trainable backbone layers. A Keras
    BatchNormalization with trainable=False runs in inference mode, as Graft's frozen ones do."""
    trainable = set(stage["trainable_layers"]) | set(HEAD_LAYERS)
    for name in BACKBONE_LAYERS + HEAD_LAYERS:
        model.get_layer(name).trainable = name in trainable


def recalibrate_batchnorm(model, names, x, batch, epoch_key, max_batches=PRECISE_BN_BATCHES):
    """Precise BatchNorm (model.ts recalibrateBatchNorm): the moving statistics of the named layers
    become the plain mean of per-batch statistics over the first max_batches unaugmented training
    batches of Graft's order for epoch_key, under the final weights. Every process computes the
    same statistics from the same whole batches, so the replicas stay identical."""
    bns = [model.get_layer(n) for n in names if isinstance(model.get_layer(n), layers.BatchNormalization)]
    if not bns:
        return 0
    probe = keras.Model(model.inputs, [bn.input for bn in bns])
    sums = [[np.zeros(bn.moving_mean.shape, np.float64), np.zeros(bn.moving_variance.shape, np.float64)] for bn in bns]
    used = 0
    for glob in global_batches(x.shape[0], batch, epoch_key)[:max_batches]:
        outs = probe(normalize(x[glob]), training=True)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        for k, out in enumerate(outs):
            mean, var = tf.nn.moments(out, axes=list(range(len(out.shape) - 1)))
            sums[k][0] += mean.numpy()
            sums[k][1] += var.numpy()
        used += 1
    for bn, (m, v) in zip(bns, sums):
        bn.moving_mean.assign((m / used).astype(np.float32))
        bn.moving_variance.assign((v / used).astype(np.float32))
    return used


# ---------------------------------------------------------------- training (src/runtime/train/trainer.ts)

def train_stage(si, stage, strategy, model, train, val, log):
    apply_stage_freezing(model, stage)
    base_lr = stage["optimizer"]["lr"]
    ratio = (stage["backbone_lr"] / base_lr) if stage["backbone_lr"] is not None else 1.0
    head_vars = [v for n in HEAD_LAYERS for v in model.get_layer(n).trainable_weights]
    backbone_vars = [v for n in stage["trainable_layers"] for v in model.get_layer(n).trainable_weights]
    if not head_vars and not backbone_vars:
        raise SystemExit("%s: error: stage %s has nothing to train" % (stage["at"], stage["name"]))
    with strategy.scope():
        # Two optimizers: the head at lr, unfrozen backbone layers at backbone lr (the same ratio under the schedule).
        head_opt = make_optimizer(stage, base_lr)
        backbone_opt = make_optimizer(stage, base_lr * ratio) if backbone_vars else None
    weights = class_weights()
    world = strategy.num_replicas_in_sync
    clip = stage["clip_norm"]
    train_vars = head_vars + backbone_vars

    def replica_step(xb, yb, wb, inv_batch):
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            per = per_sample_loss(logits, yb) * wb
            # Each replica's share of the global batch, scaled so that the sum over replicas is
            # Graft's batch mean.
            loss = tf.reduce_sum(per) * inv_batch
        grads = tape.gradient(loss, train_vars)
        grads = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, grads)
        if clip is not None:
            grads, _ = tf.clip_by_global_norm(grads, clip)
        head_opt.apply_gradients(zip(grads[:len(head_vars)], head_vars), skip_gradients_aggregation=True)
        if backbone_opt is not None:
            backbone_opt.apply_gradients(zip(grads[len(head_vars):], backbone_vars), skip_gradients_aggregation=True)
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=-1), yb), tf.float32))
        return tf.reduce_sum(per), correct

    @tf.function(reduce_retracing=True)
    def step(xb, yb, wb, inv_batch):
        loss_sum, correct = strategy.run(replica_step, args=(xb, yb, wb, inv_batch))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, loss_sum, axis=None), strategy.reduce(tf.distribute.ReduceOp.SUM, correct, axis=None)

    x, y = train
    n = x.shape[0]
    steps = max(1, math.ceil(n / stage["batch"]))
    progress = StageProgress(stage)
    best_weights, counts = None, []
    img_h, img_w = IMAGE["height"], IMAGE["width"]
    for epoch in range(stage["epochs"]):
        started = time.time()
        epoch_key = si * 100000 + epoch  # trainer.ts: the epoch a stage's batches are seeded with
        batches = global_batches(n, stage["batch"], epoch_key)
        fed = {}  # replica id -> samples this process fed it in this epoch
        loss_sum, correct, seen, lr = 0.0, 0.0, 0, base_lr
        for b, glob in enumerate(batches):
            if len(glob) < world:
                continue  # a last batch smaller than the world: no share for some replica, so no step
            lr = progress.lr(epoch, b, steps)
            head_opt.learning_rate.assign(lr)
            if backbone_opt is not None:
                backbone_opt.learning_rate.assign(lr * ratio)
            draws = draw_augment(len(glob), img_h, img_w, epoch_key, b) if AUGMENT else None

            def share(ctx, part):
                rows = rank_share(len(glob), ctx.replica_id_in_sync_group, ctx.num_replicas_in_sync)
                idx = [glob[i] for i in rows]
                if part == "x":
                    fed.setdefault(ctx.replica_id_in_sync_group, []).extend(idx)
                    return prepare(x[idx], draws, rows)
                if part == "y":
                    return y[idx]
                return weights[y[idx]] if weights is not None else np.ones(len(idx), np.float32)

            xb = strategy.experimental_distribute_values_from_function(lambda ctx: share(ctx, "x"))
            yb = strategy.experimental_distribute_values_from_function(lambda ctx: share(ctx, "y"))
            wb = strategy.experimental_distribute_values_from_function(lambda ctx: share(ctx, "w"))
            l, c = step(xb, yb, wb, tf.constant(1.0 / len(glob)))
            loss_sum += float(l)
            correct += float(c)
            seen += len(glob)
        counts.append({str(r): {"samples": len(v), "distinct": len(set(v))} for r, v in sorted(fed.items())})
        metrics = {"loss": loss_sum / seen if seen else float("nan")}
        if HEAD["activation"] == "softmax":
            metrics["accuracy"] = correct / seen if seen else float("nan")
        if val is not None:
            for k, v in evaluate(model, val, max(stage["batch"], 64)).items():
                if not isinstance(v, list):
                    metrics["val_" + k] = v
        new_best, stop = progress.end_epoch(epoch, lr, metrics, time.time() - started, log)
        if new_best:
            best_weights = model.get_weights()
        if stop:
            break
    if progress.finish():
        model.set_weights(best_weights)
    trained_bn = [name for name in stage["trainable_layers"] if isinstance(model.get_layer(name), layers.BatchNormalization)]
    if trained_bn:
        used = recalibrate_batchnorm(model, trained_bn, x, stage["batch"], 999_999)
        log("  stage %s: BatchNorm statistics recomputed over %d training batches" % (stage["name"], used))
    return progress.result, counts


def load_initial_weights(model):
    """weights/*.npy: Graft's initial weights in Keras' own layout, set layer by layer."""
    with open(os.path.join(HERE, "weights", "index.json")) as f:
        index = json.load(f)
    for name, entry in index["layers"].items():
        values = [load_npy("weights", t["file"]) for t in entry["tensors"]]
        try:
            model.get_layer(name).set_weights(values)
        except ValueError as e:
            raise SystemExit("weights/index.json does not fit layer %s: %s" % (name, e))


def main():
    args = parse_args("tf.distribute", "TensorFlow intra-op threads per process")
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    strategy, how = make_strategy()
    world = strategy.num_replicas_in_sync
    chief = is_chief(strategy)
    tf.keras.utils.set_random_seed(SEED)
    log = (lambda m: print(m, flush=True)) if chief else (lambda m: None)
    started = time.time()
    train, val, test = load_split("train"), load_split("val"), load_split("test")
    with strategy.scope():
        model = build_model()
    load_initial_weights(model)

    run_dir = None
    results = None
    if chief:
        run_dir, results = start_run(args.run_dir, args.runs_dir, "%s (%s, %d replica%s)" % (ENGINE, how, world, "s" if world > 1 else ""))
        log("run %s -> %s (TensorFlow %s, %s, %d replica%s, seed %d)" % (EXPERIMENT, run_dir, tf.__version__, how, world, "s" if world > 1 else "", SEED))

    status, error = "completed", None
    stages, sample_counts, metrics = [], {}, {}
    try:
        if not PRETRAINED:
            # trainer.ts: a randomly initialised backbone gets BatchNorm statistics of the data first.
            used = recalibrate_batchnorm(model, BACKBONE_LAYERS, train[0], STAGES[0]["batch"], 999_998)
            log("  the backbone starts from random weights: BatchNorm statistics estimated on %d training batches" % used)
        for si, stage in enumerate(STAGES):
            log("stage %s: %d epochs, %d trainable parameters" % (stage["name"], stage["epochs"], stage["trainable_params"]))
            result, counts = train_stage(si, stage, strategy, model, train, val, log)
            stages.append(result)
            sample_counts[stage["name"]] = counts
        for split, data in (("val", val), ("test", test if "test" in EVALUATE else None)):
            if data is not None:
                metrics[split] = evaluate(model, data)
    except SystemExit as e:
        status, error = "failed", {"message": str(e)}
        log(str(e))
    if chief:
        close_run(run_dir, results, status, error, stages, metrics, lambda d: model.save(os.path.join(d, "model.keras")))
        results["engine"] = {
            "name": ENGINE,
            "version": tf.__version__,
            "distributed": how,
            "worldSize": world,
            "device": "gpu" if tf.config.list_physical_devices("GPU") else "cpu",
            # Per stage, per epoch: the samples this process fed each of its replicas (its share of every global batch).
            "samples": {"train": {"total": int(train[0].shape[0]), "perReplica": sample_counts}},
        }
        finish_run(run_dir, results, started, log)
    sys.exit(0 if status == "completed" else 1)


if __name__ == "__main__":
    main()
`;
