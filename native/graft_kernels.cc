// Graft's native kernels: convolutions (forward, both backprops, grouped/depthwise) and matrix
// products for the wasm backend, run by oneDNN (the library PyTorch's CPU convolutions use) on
// the tensors where they already live, the wasm heap. No copies: oneDNN memory objects point into
// the heap for the length of one call. Primitives are created once per shape and cached, as
// their creation JIT-compiles code.
//
// JS side: src/runtime/backend/native-kernels/. Every entry point takes the heap (a typed array
// over the whole wasm memory, which may be a SharedArrayBuffer) and byte offsets into it.
#include <node_api.h>
#include <omp.h>
#include <csignal>
#include <pthread.h>
#include <dnnl.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using dims = memory::dims;
using dt = memory::data_type;

namespace {

engine &cpu() {
    static engine eng(engine::kind::cpu, 0);
    return eng;
}
stream &strm() {
    static stream s(cpu());
    return s;
}

// --- signals ------------------------------------------------------------------------------------
// oneDNN 2.6's JIT kernels corrupt memory when a signal handler runs on their thread mid-kernel
// (reproduced in plain C++: sgemm under a 100 µs SIGPROF timer aborts with "double free or
// corruption"; in Node, `--cpu-prof` crashed the same way, and Ctrl-C, SIGTERM or SIGCHLD could hit
// a kernel too). Each entry point that runs oneDNN or an OpenMP region therefore holds the signals
// for the length of the call: they stay pending and are delivered the moment it returns. OpenMP's
// worker threads, created inside such a call, inherit the held mask and never take a signal.
class SignalsHeld {
  public:
    SignalsHeld() {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &previous_);
    }
    ~SignalsHeld() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
    SignalsHeld(const SignalsHeld &) = delete;
    SignalsHeld &operator=(const SignalsHeld &) = delete;

  private:
    sigset_t previous_;
};

// --- threads -----------------------------------------------------------------------------------
// Runs the rest of the enclosing scope on this thread alone when `serial`, and gives OpenMP its
// thread count back at the end (returns and exceptions included). Waking a passively waiting
// worker costs 25-70 µs here, more than a small product or convolution gains from the split.
class OneThreadIf {
  public:
    explicit OneThreadIf(bool serial) : threads_(omp_get_max_threads()), on_(serial && threads_ > 1) {
        if (on_) omp_set_num_threads(1);
    }
    ~OneThreadIf() {
        if (on_) omp_set_num_threads(threads_);
    }
    OneThreadIf(const OneThreadIf &) = delete;
    OneThreadIf &operator=(const OneThreadIf &) = delete;

  private:
    int threads_;
    bool on_;
};

/** A dense head's products (a few million multiply-adds or less) run on one thread. */
bool smallProduct(double macs) { return macs < 2e6; }

// --- argument helpers -------------------------------------------------------------------------

bool heapPointer(napi_env env, napi_value v, char **base, size_t *bytes) {
    napi_typedarray_type type;
    size_t length;
    void *data;
    napi_value buffer;
    size_t offset;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &offset) != napi_ok) return false;
    size_t elem = type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array ? 4 : 1;
    *base = static_cast<char *>(data);
    *bytes = length * elem;
    return true;
}

bool intArray(napi_env env, napi_value v, std::vector<int64_t> &out) {
    napi_typedarray_type type;
    size_t length;
    void *data;
    napi_value buffer;
    size_t offset;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &offset) != napi_ok) return false;
    if (type == napi_int32_array) {
        auto *p = static_cast<int32_t *>(data);
        out.assign(p, p + length);
        return true;
    }
    if (type == napi_float64_array) {
        auto *p = static_cast<double *>(data);
        out.clear();
        for (size_t i = 0; i < length; i++) out.push_back(static_cast<int64_t>(p[i]));
        return true;
    }
    return false;
}

/** The common call shape (heap, shape, byte offsets[, number]) of most entry points, checked. */
struct Call {
    char *base = nullptr;
    std::vector<int64_t> shape, off;
    double number = 0;
};

bool readCall(napi_env env, napi_callback_info info, size_t shapeLen, size_t offLen, bool withNumber, Call &c) {
    size_t argc = 4;
    napi_value args[4];
    size_t bytes;
    napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
    return argc >= (withNumber ? 4u : 3u) && heapPointer(env, args[0], &c.base, &bytes) && intArray(env, args[1], c.shape) &&
           c.shape.size() == shapeLen && intArray(env, args[2], c.off) && c.off.size() == offLen &&
           (!withNumber || napi_get_value_double(env, args[3], &c.number) == napi_ok);
}

napi_value fail(napi_env env, const std::string &message) {
    napi_throw_error(env, nullptr, message.c_str());
    return nullptr;
}

napi_value undefinedValue(napi_env env) {
    napi_value u;
    napi_get_undefined(env, &u);
    return u;
}

// --- activations (tfjs' fused activations that oneDNN has as post-ops) -------------------------
// 0 linear, 1 relu, 2 relu6, 3 leakyrelu(alpha), 4 elu, 5 sigmoid
post_ops activationPostOps(int act, float alpha) {
    post_ops ops;
    switch (act) {
        case 1: ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f); break;
        case 2: ops.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f); break;
        case 3: ops.append_eltwise(1.f, algorithm::eltwise_relu, alpha, 0.f); break;
        case 4: ops.append_eltwise(1.f, algorithm::eltwise_elu, 1.f, 0.f); break;
        case 5: ops.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f); break;
        default: break;
    }
    return ops;
}

void applyActivation(float *y, int64_t count, int act, float alpha) {
    switch (act) {
        case 1: for (int64_t i = 0; i < count; i++) y[i] = y[i] > 0.f ? y[i] : 0.f; break;
        case 2: for (int64_t i = 0; i < count; i++) y[i] = y[i] < 0.f ? 0.f : (y[i] > 6.f ? 6.f : y[i]); break;
        case 3: for (int64_t i = 0; i < count; i++) y[i] = y[i] > 0.f ? y[i] : alpha * y[i]; break;
        case 4: for (int64_t i = 0; i < count; i++) y[i] = y[i] > 0.f ? y[i] : std::expm1(y[i]); break;
        case 5: for (int64_t i = 0; i < count; i++) y[i] = 1.f / (1.f + std::exp(-y[i])); break;
        default: break;
    }
}

// --- convolutions -----------------------------------------------------------------------------
// Geometry, NHWC activations and tfjs filter layouts:
//   [n, h, w, cin, kh, kw, cout, oh, ow, sh, sw, padTop, padLeft, padBottom, padRight, dh, dw,
//    groups, act, hasBias]
// groups == 1: filter [kh, kw, cin, cout]; groups == cin (depthwise): filter [kh, kw, cin, cout/cin].
struct ConvGeometry {
    int64_t n, h, w, cin, kh, kw, cout, oh, ow, sh, sw, pt, pl, pb, pr, dh, dw, groups, act, hasBias;
};

memory::desc nhwc(int64_t n, int64_t c, int64_t h, int64_t w) {
    return memory::desc({n, c, h, w}, dt::f32, memory::dims{h * w * c, 1, w * c, c});
}

memory::desc filterDesc(const ConvGeometry &g) {
    if (g.groups == 1) {
        // dims (O, I, KH, KW) over [kh, kw, I, O]
        return memory::desc({g.cout, g.cin, g.kh, g.kw}, dt::f32,
                            memory::dims{1, g.cout, g.kw * g.cin * g.cout, g.cin * g.cout});
    }
    // dims (G, O/G, I/G, KH, KW) over [kh, kw, G, O/G] (I/G = 1)
    int64_t mult = g.cout / g.groups;
    return memory::desc({g.groups, mult, g.cin / g.groups, g.kh, g.kw}, dt::f32,
                        memory::dims{mult, 1, 1, g.kw * g.cin * mult, g.cin * mult});
}

// Activations stay in the tensors' own NHWC layout (no copies); filters are given to oneDNN in the
// layout it prefers ("any": blocked, which selects its brgemm and depthwise JIT kernels, 2-7x
// faster here than the same convolutions on tfjs' plain HWIO layout) and reordered to and from
// tfjs' layout on each call, which costs little as filters are small.
struct ConvEntry {
    memory::desc src, weiUser, bias, dst;
    convolution_forward::primitive_desc fwdPd;
    std::unique_ptr<convolution_forward> fwd;
    convolution_backward_data::primitive_desc bwdDataPd;
    std::unique_ptr<convolution_backward_data> bwdData;
    convolution_backward_weights::primitive_desc bwdWeightsPd;
    std::unique_ptr<convolution_backward_weights> bwdWeights;
    // The filter in each primitive's own layout (owned by oneDNN, reused across calls).
    std::unique_ptr<memory> fwdWei, bwdDataWei, bwdWeightsWei;
};

std::unordered_map<std::string, std::unique_ptr<ConvEntry>> convCache;

std::string convKey(const ConvGeometry &g, float alpha) {
    std::string key;
    const int64_t *p = &g.n;
    for (int i = 0; i < 20; i++) key += std::to_string(p[i]) + ",";
    key += std::to_string(alpha);
    return key;
}

memory::desc anyFilter(const ConvGeometry &g) {
    if (g.groups == 1) return memory::desc({g.cout, g.cin, g.kh, g.kw}, dt::f32, memory::format_tag::any);
    return memory::desc({g.groups, g.cout / g.groups, g.cin / g.groups, g.kh, g.kw}, dt::f32, memory::format_tag::any);
}

// Per thread count: oneDNN fixes a primitive's split over the threads when it creates it, so a
// primitive made for two threads would still wake the second one in a one-thread call or phase.
ConvEntry &convEntry(const ConvGeometry &g, float alpha, int threads) {
    std::string key = convKey(g, alpha) + "/" + std::to_string(threads);
    auto found = convCache.find(key);
    if (found != convCache.end()) return *found->second;
    auto e = std::make_unique<ConvEntry>();
    e->src = nhwc(g.n, g.cin, g.h, g.w);
    e->dst = nhwc(g.n, g.cout, g.oh, g.ow);
    e->weiUser = filterDesc(g);
    e->bias = memory::desc({g.cout}, dt::f32, memory::dims{1});
    dims strides{g.sh, g.sw}, dil{g.dh - 1, g.dw - 1}, padL{g.pt, g.pl}, padR{g.pb, g.pr};
    memory::desc wei = anyFilter(g);
    auto desc = g.hasBias
                    ? convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, e->src, wei,
                                                e->bias, e->dst, strides, dil, padL, padR)
                    : convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, e->src, wei,
                                                e->dst, strides, dil, padL, padR);
    primitive_attr attr;
    attr.set_post_ops(activationPostOps(static_cast<int>(g.act), alpha));
    e->fwdPd = convolution_forward::primitive_desc(desc, attr, cpu());
    auto &ref = *e;
    convCache.emplace(key, std::move(e));
    return ref;
}

/** The filter `user` in the layout `wanted`: `user` itself when they agree, else a reorder into `scratch`. */
memory filterIn(memory &user, const memory::desc &wanted, std::unique_ptr<memory> &scratch) {
    if (wanted == user.get_desc()) return user;
    if (!scratch) scratch = std::make_unique<memory>(wanted, cpu());
    reorder(user, *scratch).execute(strm(), user, *scratch);
    return *scratch;
}

bool readGeometry(napi_env env, napi_value v, ConvGeometry &g) {
    std::vector<int64_t> d;
    if (!intArray(env, v, d) || d.size() != 20) return false;
    std::memcpy(&g, d.data(), sizeof(g));
    return true;
}

float *at(char *base, int64_t offset) { return reinterpret_cast<float *>(base + offset); }

// conv(heap, geometry, offsets[x, filter, bias, y], mode, alpha)
// mode 0: y = act(conv(x, filter) + bias); 1: x = backprop-input(y = dy, filter);
// 2: filter = backprop-filter(x, y = dy).
// Multiply-adds below which a convolution runs on one thread. Waking a passively waiting OpenMP
// worker took 25-70 µs here (the longer after an idle gap), and one core does about 50 million
// multiply-adds in 1 ms: a convolution under ≈4 M (80 µs) loses more to the wake-up than the split
// saves. GRAFT_SERIAL_CONV_MACS overrides it (for measurements).
double serialConvMacs() {
    static const double value = [] {
        // Anything but a non-negative number (unset, empty, "abc", "-1") keeps the default.
        const char *text = std::getenv("GRAFT_SERIAL_CONV_MACS");
        char *end = nullptr;
        const double parsed = text ? std::strtod(text, &end) : -1;
        return text && end != text && *end == '\0' && parsed >= 0 && std::isfinite(parsed) ? parsed : 4e6;
    }();
    return value;
}

napi_value convEntryPoint(napi_env env, napi_callback_info info) {
    const SignalsHeld held;
    size_t argc = 5;
    napi_value args[5];
    napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
    char *base;
    size_t bytes;
    ConvGeometry g;
    std::vector<int64_t> off;
    int32_t mode = 0;
    double alpha = 0;
    if (argc < 5 || !heapPointer(env, args[0], &base, &bytes) || !readGeometry(env, args[1], g) ||
        !intArray(env, args[2], off) || off.size() != 4 || napi_get_value_int32(env, args[3], &mode) != napi_ok ||
        napi_get_value_double(env, args[4], &alpha) != napi_ok)
        return fail(env, "conv(heap, geometry[20], offsets[4], mode, alpha): bad arguments");
    // A small convolution runs on this thread alone: waking a passively waiting OpenMP worker
    // costs about what splitting it saves (see serialConvMacs).
    const double macs = static_cast<double>(g.n) * g.oh * g.ow * g.cout * g.kh * g.kw * (g.cin / g.groups);
    const OneThreadIf oneThread(macs < serialConvMacs());
    try {
        ConvGeometry key = g;
        if (mode != 0) {
            key.act = 0;
            key.hasBias = 0;
        }
        ConvEntry &e = convEntry(key, static_cast<float>(mode == 0 ? alpha : 0), omp_get_max_threads());
        memory x(e.src, cpu(), at(base, off[0])), w(e.weiUser, cpu(), at(base, off[1])), y(e.dst, cpu(), at(base, off[3]));
        dims strides{g.sh, g.sw}, dil{g.dh - 1, g.dw - 1}, padL{g.pt, g.pl}, padR{g.pb, g.pr};
        if (mode == 0) {
            if (!e.fwd) e.fwd = std::make_unique<convolution_forward>(e.fwdPd);
            memory wk = filterIn(w, e.fwdPd.weights_desc(), e.fwdWei);
            std::unordered_map<int, memory> margs{{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, wk}, {DNNL_ARG_DST, y}};
            if (g.hasBias) margs.emplace(DNNL_ARG_BIAS, memory(e.bias, cpu(), at(base, off[2])));
            e.fwd->execute(strm(), margs);
        } else if (mode == 1) {
            if (!e.bwdData) {
                // A stem with one to three input channels: oneDNN's GEMM-based input gradient on the
                // plain filter (1.4 ms for small_cnn's 64x28x28x32) beats its blocked JIT one (3.1 ms).
                const memory::desc wei = g.groups == 1 && g.cin <= 3 ? e.weiUser : anyFilter(g);
                auto d = convolution_backward_data::desc(algorithm::convolution_direct, e.src, wei, e.dst, strides, dil,
                                                         padL, padR);
                e.bwdDataPd = convolution_backward_data::primitive_desc(d, cpu(), e.fwdPd);
                e.bwdData = std::make_unique<convolution_backward_data>(e.bwdDataPd);
            }
            memory wk = filterIn(w, e.bwdDataPd.weights_desc(), e.bwdDataWei);
            e.bwdData->execute(strm(), {{DNNL_ARG_DIFF_SRC, x}, {DNNL_ARG_WEIGHTS, wk}, {DNNL_ARG_DIFF_DST, y}});
        } else {
            if (!e.bwdWeights) {
                auto d = convolution_backward_weights::desc(algorithm::convolution_direct, e.src, anyFilter(g), e.dst,
                                                            strides, dil, padL, padR);
                e.bwdWeightsPd = convolution_backward_weights::primitive_desc(d, cpu(), e.fwdPd);
                e.bwdWeights = std::make_unique<convolution_backward_weights>(e.bwdWeightsPd);
            }
            const memory::desc &wanted = e.bwdWeightsPd.diff_weights_desc();
            if (wanted == e.weiUser) {
                e.bwdWeights->execute(strm(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_WEIGHTS, w}, {DNNL_ARG_DIFF_DST, y}});
            } else {
                if (!e.bwdWeightsWei) e.bwdWeightsWei = std::make_unique<memory>(wanted, cpu());
                e.bwdWeights->execute(strm(),
                                      {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_WEIGHTS, *e.bwdWeightsWei}, {DNNL_ARG_DIFF_DST, y}});
                reorder(*e.bwdWeightsWei, w).execute(strm(), *e.bwdWeightsWei, w);
            }
        }
        strm().wait();
    } catch (const dnnl::error &err) {
        return fail(env, std::string("oneDNN: ") + err.what());
    }
    return undefinedValue(env);
}

// matmul(heap, shape[batch, m, n, k, transA, transB, aBatchStride, bBatchStride, hasBias, biasSize, act],
//        offsets[a, b, bias, c], alpha): c[i] = act(op(a[i]) · op(b[i]) + bias)
napi_value matmulEntryPoint(napi_env env, napi_callback_info info) {
    const SignalsHeld held;
    Call call;
    if (!readCall(env, info, 11, 4, true, call))
        return fail(env, "matmul(heap, shape[11], offsets[4], alpha): bad arguments");
    char *base = call.base;
    const std::vector<int64_t> &s = call.shape, &off = call.off;
    const double alpha = call.number;
    const int64_t batch = s[0], m = s[1], n = s[2], k = s[3];
    const bool ta = s[4] != 0, tb = s[5] != 0;
    const int64_t aStride = s[6], bStride = s[7];
    const bool hasBias = s[8] != 0;
    const int64_t biasSize = s[9];
    const int act = static_cast<int>(s[10]);
    const float *a = at(base, off[0]);
    const float *b = at(base, off[1]);
    const float *bias = hasBias ? at(base, off[2]) : nullptr;
    float *c = at(base, off[3]);
    {
        const OneThreadIf oneThread(smallProduct(static_cast<double>(batch) * m * n * k));
        for (int64_t i = 0; i < batch; i++) {
            dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, a + i * aStride, ta ? m : k,
                                          b + i * bStride, tb ? k : n, 0.f, c + i * m * n, n);
            if (st != dnnl_success) return fail(env, "oneDNN sgemm failed");
        }
    }
    const int64_t total = batch * m * n;
    if (hasBias) {
        if (biasSize == 1) {
            for (int64_t i = 0; i < total; i++) c[i] += bias[0];
        } else {
#pragma omp parallel for if (total > 65536)
            for (int64_t r = 0; r < batch * m; r++) {
                float *row = c + r * n;
                for (int64_t j = 0; j < n; j++) row[j] += bias[j];
            }
        }
    }
    applyActivation(c, total, act, static_cast<float>(alpha));
    return undefinedValue(env);
}

// --- per-channel element-wise work (BatchNorm in training mode is made of it) ----------------
// An operand is full (mode 0: one value per element), per channel (1: index i % channels, the last
// axis) or a scalar (2). wasm's broadcasting binary kernels take ≈3-5 ns per element for the
// per-channel cases; these loops are memory-bound.
inline int64_t pick(int mode, int64_t i, int64_t channels) { return mode == 0 ? i : (mode == 1 ? i % channels : 0); }

template <typename Op>
void binaryLoop(const float *a, const float *b, float *out, int64_t total, int64_t channels, int aMode, int bMode, Op op) {
    if (aMode == 0 && bMode == 1) {
#pragma omp parallel for if (total > 262144)
        for (int64_t r = 0; r < total / channels; r++) {
            const float *ar = a + r * channels;
            float *o = out + r * channels;
            for (int64_t c = 0; c < channels; c++) o[c] = op(ar[c], b[c]);
        }
    } else if (aMode == 1 && bMode == 0) {
#pragma omp parallel for if (total > 262144)
        for (int64_t r = 0; r < total / channels; r++) {
            const float *br = b + r * channels;
            float *o = out + r * channels;
            for (int64_t c = 0; c < channels; c++) o[c] = op(a[c], br[c]);
        }
    } else {
#pragma omp parallel for if (total > 262144)
        for (int64_t i = 0; i < total; i++) out[i] = op(a[pick(aMode, i, channels)], b[pick(bMode, i, channels)]);
    }
}

// binary(heap, [op, total, channels, aMode, bMode], offsets[a, b, out]); op 0 add, 1 sub, 2 mul, 3 div
napi_value binaryEntryPoint(napi_env env, napi_callback_info info) {
    const SignalsHeld held;
    Call call;
    if (!readCall(env, info, 5, 3, false, call) || call.shape[2] < 1)
        return fail(env, "binary(heap, [op, total, channels, aMode, bMode], offsets[3]): bad arguments");
    char *base = call.base;
    const std::vector<int64_t> &s = call.shape, &off = call.off;
    const float *a = at(base, off[0]);
    const float *b = at(base, off[1]);
    float *out = at(base, off[2]);
    const int64_t total = s[1], channels = s[2];
    const int am = static_cast<int>(s[3]), bm = static_cast<int>(s[4]);
    switch (s[0]) {
        case 0: binaryLoop(a, b, out, total, channels, am, bm, [](float x, float y) { return x + y; }); break;
        case 1: binaryLoop(a, b, out, total, channels, am, bm, [](float x, float y) { return x - y; }); break;
        case 2: binaryLoop(a, b, out, total, channels, am, bm, [](float x, float y) { return x * y; }); break;
        case 3: binaryLoop(a, b, out, total, channels, am, bm, [](float x, float y) { return x / y; }); break;
        default: return fail(env, "binary: unknown op");
    }
    return undefinedValue(env);
}

// batchNorm(heap, [total, channels, meanMode, varMode, offsetMode, scaleMode], offsets[x, mean, var,
// offset, scale, out], epsilon): out = (x - mean) / sqrt(var + eps) * scale + offset; an absent
// offset or scale has mode -1. Per channel one multiply-add per element.
napi_value batchNormEntryPoint(napi_env env, napi_callback_info info) {
    const SignalsHeld held;
    Call call;
    if (!readCall(env, info, 6, 6, true, call) || call.shape[1] < 1)
        return fail(env, "batchNorm(heap, shape[6], offsets[6], epsilon): bad arguments");
    char *base = call.base;
    const std::vector<int64_t> &s = call.shape, &off = call.off;
    const double eps = call.number;
    const int64_t total = s[0], channels = s[1];
    const float *x = at(base, off[0]);
    float *out = at(base, off[5]);
    std::vector<float> mul(channels), add(channels);
    for (int64_t c = 0; c < channels; c++) {
        const float mean = at(base, off[1])[pick(static_cast<int>(s[2]), c, channels)];
        const float var = at(base, off[2])[pick(static_cast<int>(s[3]), c, channels)];
        const float offset = s[4] < 0 ? 0.f : at(base, off[3])[pick(static_cast<int>(s[4]), c, channels)];
        const float scale = s[5] < 0 ? 1.f : at(base, off[4])[pick(static_cast<int>(s[5]), c, channels)];
        const float inv = scale / std::sqrt(var + static_cast<float>(eps));
        mul[c] = inv;
        add[c] = offset - mean * inv;
    }
    const float *m = mul.data();
    const float *ad = add.data();
#pragma omp parallel for if (total > 262144)
    for (int64_t r = 0; r < total / channels; r++) {
        const float *xr = x + r * channels;
        float *o = out + r * channels;
        for (int64_t c = 0; c < channels; c++) o[c] = xr[c] * m[c] + ad[c];
    }
    return undefinedValue(env);
}

// --- max pooling -----------------------------------------------------------------------------
// The per-window channel loops as plain functions of restrict pointers, so that they vectorise
// (inside the OpenMP region's outlined body they stayed scalar), cloned for AVX-512 and AVX2.

// One tap of a window for MaxPoolGrad: the channels whose maximum sits at this tap, and that no
// earlier tap took (`open` all ones), get dy. Bit masks, not branches: which cell holds the
// maximum is random, and mispredicted branches made this loop 2x slower than Graft's wasm one.
__attribute__((target_clones("avx512f", "avx2", "default"))) void routeTap(const float *__restrict xp, const float *__restrict yo,
                                                                            const uint32_t *__restrict go, float *__restrict dp,
                                                                            uint32_t *__restrict open, int64_t c, bool tiles, bool positive) {
    for (int64_t d = 0; d < c; d++) {
        uint32_t eq;
        const float a = xp[d], b = yo[d];
        // positive: x is a ReLU's output, and only cells above zero pass its gradient.
        eq = a == b && (!positive || a > 0.f) ? ~0u : 0u;
        const uint32_t hit = eq & open[d];
        const uint32_t bits = go[d] & hit;
        float routed;
        std::memcpy(&routed, &bits, sizeof routed);
        dp[d] = tiles ? routed : dp[d] + routed;
        open[d] &= ~hit;
    }
}

// The running maximum of a window over one more tap (the first tap is copied).
__attribute__((target_clones("avx512f", "avx2", "default"))) void maxTap(float *__restrict out, const float *__restrict xp, int64_t c) {
    for (int64_t d = 0; d < c; d++) out[d] = xp[d] > out[d] ? xp[d] : out[d];
}

// maxPool(heap, geometry[12] as maxPoolGrad's, offsets[x, y]): MaxPool over NHWC, padded cells
// left out of their windows, in parallel over the batch.
napi_value maxPoolEntryPoint(napi_env env, napi_callback_info info) {
    Call call;
    if (!readCall(env, info, 12, 2, false, call)) return fail(env, "maxPool(heap, geometry[12], offsets[2]): bad arguments");
    const std::vector<int64_t> &g = call.shape;
    const int64_t n = g[0], h = g[1], w = g[2], c = g[3], kh = g[4], kw = g[5], sh = g[6], sw = g[7], top = g[8],
                  left = g[9], oh = g[10], ow = g[11];
    const float *x = at(call.base, call.off[0]);
    float *y = at(call.base, call.off[1]);
    const bool parallel = n > 1 && n * h * w * c > 65536 && omp_get_max_threads() > 1;
    // Signals are held only around the OpenMP region (see SignalsHeld).
    std::unique_ptr<SignalsHeld> held;
    if (parallel) held = std::make_unique<SignalsHeld>();
#pragma omp parallel for if (parallel)
    for (int64_t b = 0; b < n; b++) {
        for (int64_t yr = 0; yr < oh; yr++) {
            const int64_t r0 = yr * sh - top;
            for (int64_t yc = 0; yc < ow; yc++) {
                const int64_t c0 = yc * sw - left;
                float *out = y + ((b * oh + yr) * ow + yc) * c;
                bool first = true;
                for (int64_t r = std::max<int64_t>(0, r0); r < std::min(h, r0 + kh); r++)
                    for (int64_t col = std::max<int64_t>(0, c0); col < std::min(w, c0 + kw); col++) {
                        const float *xp = x + ((b * h + r) * w + col) * c;
                        if (first) std::memcpy(out, xp, sizeof(float) * c);
                        else maxTap(out, xp, c);
                        first = false;
                    }
                // A window entirely in the padding (not made by tfjs' geometry) gives -inf, as on cpu.
                if (first) std::fill(out, out + c, -INFINITY);
            }
        }
    }
    return undefinedValue(env);
}

// --- max-pool gradient ------------------------------------------------------------------------
// maxPoolGrad(heap, [n, h, w, c, kh, kw, sh, sw, top, left, oh, ow], offsets[x, dy, y, dx], reluMask):
// per output pixel and channel the first window cell (row-major, padding excluded) equal to the
// pooled value takes dy: the cpu backend's rule (Graft's wasm loop does the same, slower).
// reluMask 1: x is a ReLU's output and dx is the gradient at that ReLU's input, i.e. cells at
// zero pass nothing (the ReLU's gradient folded in: one pass over the activation fewer).
// Images are independent, so they run in parallel even when windows overlap.
napi_value maxPoolGradEntryPoint(napi_env env, napi_callback_info info) {
    const SignalsHeld held;
    Call call;
    if (!readCall(env, info, 12, 4, true, call))
        return fail(env, "maxPoolGrad(heap, geometry[12], offsets[4], reluMask): bad arguments");
    const bool positive = call.number != 0;
    char *base = call.base;
    const std::vector<int64_t> &g = call.shape, &off = call.off;
    const int64_t n = g[0], h = g[1], w = g[2], c = g[3], kh = g[4], kw = g[5], sh = g[6], sw = g[7], top = g[8],
                  left = g[9], oh = g[10], ow = g[11];
    const float *x = at(base, off[0]);
    const float *dy = at(base, off[1]);
    const float *y = at(base, off[2]);
    float *dx = at(base, off[3]);
    // Windows that tile the input exactly (small_cnn's 2x2 pools) write each cell once; others
    // (overlapping, padded, or leaving cells out) start from zeros and accumulate.
    const bool tiles = kh == sh && kw == sw && top == 0 && left == 0 && oh * sh == h && ow * sw == w;
#pragma omp parallel for if (n * h * w * c > 65536)
    for (int64_t b = 0; b < n; b++) {
        if (!tiles) std::memset(dx + b * h * w * c, 0, sizeof(float) * h * w * c);
        std::vector<int64_t> taps(kh * kw);
        // All ones while no earlier cell of the window took this channel's gradient. Bit masks,
        // not branches: which cell holds the maximum is random, and mispredicted branches made
        // this loop 2x slower than Graft's wasm one.
        std::vector<uint32_t> open(c);
        for (int64_t yr = 0; yr < oh; yr++) {
            const int64_t r0 = yr * sh - top;
            for (int64_t yc = 0; yc < ow; yc++) {
                const int64_t c0 = yc * sw - left;
                int64_t count = 0;
                for (int64_t r = std::max<int64_t>(0, r0); r < std::min(h, r0 + kh); r++)
                    for (int64_t col = std::max<int64_t>(0, c0); col < std::min(w, c0 + kw); col++)
                        taps[count++] = ((b * h + r) * w + col) * c;
                const int64_t o = ((b * oh + yr) * ow + yc) * c;
                const float *__restrict yo = y + o;
                const uint32_t *__restrict go = reinterpret_cast<const uint32_t *>(dy + o);
                uint32_t *__restrict fr = open.data();
                for (int64_t d = 0; d < c; d++) fr[d] = ~0u;
                for (int64_t t = 0; t < count; t++) routeTap(x + taps[t], yo, go, dx + taps[t], fr, c, tiles, positive);
            }
        }
    }
    return undefinedValue(env);
}

// --- BatchNorm in training mode, forward and backward -----------------------------------------
// tfjs builds a training-mode BatchNorm from moments, a normalisation and their gradients: about
// 40 kernels per layer and step, most of them full passes over the activation. These two make
// two passes each. Statistics are accumulated in double per channel (as the gradient's sums).
//
// batchNormTrain(heap, [rows, channels], offsets[x, gamma, beta, y, mean, variance], epsilon)
//   mean/variance: the batch's (biased) statistics; y = (x - mean) / sqrt(variance + eps) * gamma + beta
// batchNormTrainGrad(heap, [rows, channels], offsets[dy, x, mean, variance, gamma, dx, dgamma, dbeta], epsilon)
//   with x̂ = (x - mean) r, r = 1/sqrt(variance + eps), n = rows:
//   dbeta = Σ dy, dgamma = Σ dy x̂, dx = gamma r / n (n dy - dbeta - x̂ dgamma)
void channelSums(const float *x, const float *x2, int64_t rows, int64_t channels, const float *shift, std::vector<double> &s1,
                 std::vector<double> &s2) {
    const int threads = rows * channels > 262144 ? omp_get_max_threads() : 1;
    std::vector<double> part1(static_cast<size_t>(threads) * channels, 0.0), part2(static_cast<size_t>(threads) * channels, 0.0);
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num();
        double *__restrict a = part1.data() + static_cast<int64_t>(t) * channels;
        double *__restrict b = part2.data() + static_cast<int64_t>(t) * channels;
        // float accumulators per block of rows, flushed to double: vectorizes, and keeps the error
        // of a 50,000-row sum at the level of a 64-row one.
        std::vector<float> fa(channels), fb(channels);
#pragma omp for schedule(static)
        for (int64_t r0 = 0; r0 < rows; r0 += 64) {
            const int64_t r1 = std::min(rows, r0 + 64);
            std::fill(fa.begin(), fa.end(), 0.f);
            std::fill(fb.begin(), fb.end(), 0.f);
            float *__restrict pa = fa.data();
            float *__restrict pb = fb.data();
            for (int64_t r = r0; r < r1; r++) {
                const float *__restrict xr = x + r * channels;
                if (x2 == nullptr) {
                    for (int64_t c = 0; c < channels; c++) {
                        const float d = xr[c] - shift[c];
                        pa[c] += d;
                        pb[c] += d * d;
                    }
                } else {
                    // Σ dy and Σ dy (x - shift)
                    const float *__restrict x2r = x2 + r * channels;
                    for (int64_t c = 0; c < channels; c++) {
                        pa[c] += xr[c];
                        pb[c] += xr[c] * (x2r[c] - shift[c]);
                    }
                }
            }
            for (int64_t c = 0; c < channels; c++) {
                a[c] += pa[c];
                b[c] += pb[c];
            }
        }
    }
    s1.assign(channels, 0.0);
    s2.assign(channels, 0.0);
    for (int t = 0; t < threads; t++)
        for (int64_t c = 0; c < channels; c++) {
            s1[c] += part1[static_cast<size_t>(t) * channels + c];
            s2[c] += part2[static_cast<size_t>(t) * channels + c];
        }
}

napi_value batchNormTrainEntryPoint(napi_env env, napi_callback_info info) {
    const SignalsHeld held;
    Call call;
    if (!readCall(env, info, 2, 6, true, call) || call.shape[0] < 1 || call.shape[1] < 1)
        return fail(env, "batchNormTrain(heap, [rows, channels], offsets[6], epsilon): bad arguments");
    char *base = call.base;
    const std::vector<int64_t> &s = call.shape, &off = call.off;
    const double eps = call.number;
    const int64_t rows = s[0], channels = s[1];
    const float *x = at(base, off[0]);
    const float *gamma = at(base, off[1]);
    const float *beta = at(base, off[2]);
    float *y = at(base, off[3]);
    float *mean = at(base, off[4]);
    float *variance = at(base, off[5]);
    // Shifted by the first row: the variance of values far from zero without cancellation.
    std::vector<float> shift(x, x + channels);
    std::vector<double> s1, s2;
    channelSums(x, nullptr, rows, channels, shift.data(), s1, s2);
    std::vector<float> mul(channels), add(channels);
    for (int64_t c = 0; c < channels; c++) {
        const double m = s1[c] / rows;
        const double v = std::max(0.0, s2[c] / rows - m * m);
        mean[c] = static_cast<float>(shift[c] + m);
        variance[c] = static_cast<float>(v);
        const float r = 1.f / std::sqrt(variance[c] + static_cast<float>(eps));
        mul[c] = gamma[c] * r;
        add[c] = beta[c] - mean[c] * mul[c];
    }
    const float *__restrict m = mul.data();
    const float *__restrict a = add.data();
#pragma omp parallel for if (rows * channels > 262144)
    for (int64_t r = 0; r < rows; r++) {
        const float *__restrict xr = x + r * channels;
        float *__restrict yr = y + r * channels;
        for (int64_t c = 0; c < channels; c++) yr[c] = xr[c] * m[c] + a[c];
    }
    return undefinedValue(env);
}

napi_value batchNormTrainGradEntryPoint(napi_env env, napi_callback_info info) {
    const SignalsHeld held;
    Call call;
    if (!readCall(env, info, 2, 8, true, call) || call.shape[0] < 1 || call.shape[1] < 1)
        return fail(env, "batchNormTrainGrad(heap, [rows, channels], offsets[8], epsilon): bad arguments");
    char *base = call.base;
    const std::vector<int64_t> &s = call.shape, &off = call.off;
    const double eps = call.number;
    const int64_t rows = s[0], channels = s[1];
    const float *dy = at(base, off[0]);
    const float *x = at(base, off[1]);
    const float *mean = at(base, off[2]);
    const float *variance = at(base, off[3]);
    const float *gamma = at(base, off[4]);
    float *dx = at(base, off[5]);
    float *dgamma = at(base, off[6]);
    float *dbeta = at(base, off[7]);
    std::vector<double> sumDy, sumDyXc;
    channelSums(dy, x, rows, channels, mean, sumDy, sumDyXc);
    // dx = k (dy - dbeta/n - x̂ dgamma/n) = k dy + (x - mean) p + q per channel
    std::vector<float> k(channels), p(channels), q(channels);
    for (int64_t c = 0; c < channels; c++) {
        const double r = 1.0 / std::sqrt(static_cast<double>(variance[c]) + eps);
        const double db = sumDy[c];
        const double dg = sumDyXc[c] * r;
        dbeta[c] = static_cast<float>(db);
        dgamma[c] = static_cast<float>(dg);
        const double kc = gamma[c] * r;
        k[c] = static_cast<float>(kc);
        p[c] = static_cast<float>(-kc * dg * r / rows);
        q[c] = static_cast<float>(-kc * db / rows);
    }
    const float *__restrict kk = k.data();
    const float *__restrict pp = p.data();
    const float *__restrict qq = q.data();
    const float *__restrict mu = mean;
#pragma omp parallel for if (rows * channels > 262144)
    for (int64_t r = 0; r < rows; r++) {
        const float *__restrict g = dy + r * channels;
        const float *__restrict xr = x + r * channels;
        float *__restrict o = dx + r * channels;
        for (int64_t c = 0; c < channels; c++) o[c] = kk[c] * g[c] + (xr[c] - mu[c]) * pp[c] + qq[c];
    }
    return undefinedValue(env);
}

// --- ReLU --------------------------------------------------------------------------------------
// Plain functions of restrict pointers so that they vectorise (inside an OpenMP region's outlined
// body they stayed scalar and branchy: 3 ns an element), cloned for AVX-512 and AVX2.
__attribute__((target_clones("avx512f", "avx2", "default"))) void reluSpan(const float *__restrict x, float *__restrict out,
                                                                            int64_t from, int64_t to) {
    for (int64_t i = from; i < to; i++) out[i] = x[i] < 0.f ? 0.f : x[i];
}

// dy · step(x) as tfjs computes it: step is 1 above 0, 0 at or below, NaN for NaN.
__attribute__((target_clones("avx512f", "avx2", "default"))) void reluGradSpan(const float *__restrict dy, const float *__restrict x,
                                                                                float *__restrict out, int64_t from, int64_t to) {
    for (int64_t i = from; i < to; i++) {
        const float step = x[i] > 0.f ? 1.f : (x[i] == x[i] ? 0.f : x[i]);
        out[i] = dy[i] * step;
    }
}

// relu(heap, shape[count, mode], offsets[a, b, out]): mode 0, out = max(a, 0) (b unused); mode 1,
// the gradient, out = a · step(b) (a = dy, b = the ReLU's input). One pass instead of tfjs' Step
// and Multiply; large tensors are split over the threads.
napi_value reluEntryPoint(napi_env env, napi_callback_info info) {
    Call call;
    if (!readCall(env, info, 2, 3, false, call)) return fail(env, "relu(heap, shape[2], offsets[3]): bad arguments");
    const int64_t count = call.shape[0];
    const bool grad = call.shape[1] != 0;
    const float *a = at(call.base, call.off[0]);
    const float *b = at(call.base, call.off[1]);
    float *out = at(call.base, call.off[2]);
    const int64_t chunk = 65536;
    const bool parallel = count > 4 * chunk && omp_get_max_threads() > 1;
    // Signals are held only around the OpenMP region (see SignalsHeld); the loop alone needs none.
    std::unique_ptr<SignalsHeld> held;
    if (parallel) held = std::make_unique<SignalsHeld>();
#pragma omp parallel for if (parallel)
    for (int64_t c = 0; c < (count + chunk - 1) / chunk; c++) {
        const int64_t from = c * chunk, to = std::min(count, from + chunk);
        if (grad) reluGradSpan(a, b, out, from, to);
        else reluSpan(a, out, from, to);
    }
    return undefinedValue(env);
}

// --- dense layers of a head ----------------------------------------------------------------------
// The backward of y = x·w + b for a dense head layer, in one call instead of autodiff's
// BatchMatMul, Sum, BatchMatMul and mask ops:
//   dw = xᵀ·dz, db = Σ_rows dz, and (dx non-null) dx = (dz·wᵀ) ⊙ mult ⊙ act'(a),
// where a is the activation output of the layer below before dropout, mult dropout's multiplier
// (may be null) and x = a ⊙ mult the layer's input. act: 0 linear, 1 relu (a > 0), 2 tanh (1 - a²).
struct DenseBackward {
    int64_t rows, in, out;
    int act;
    const float *x, *dz, *w, *a, *mult;
    float *dw, *db, *dx;
};

/** Runs one; false when oneDNN's sgemm fails. */
bool denseBackward(const DenseBackward &d) {
    {
        const OneThreadIf oneThread(smallProduct(static_cast<double>(d.rows) * d.in * d.out));
        dnnl_status_t st = dnnl_sgemm('T', 'N', d.in, d.out, d.rows, 1.f, d.x, d.in, d.dz, d.out, 0.f, d.dw, d.out);
        if (st == dnnl_success && d.dx) st = dnnl_sgemm('N', 'T', d.rows, d.in, d.out, 1.f, d.dz, d.out, d.w, d.out, 0.f, d.dx, d.in);
        if (st != dnnl_success) return false;
    }
    for (int64_t j = 0; j < d.out; j++) d.db[j] = 0.f;
    for (int64_t r = 0; r < d.rows; r++) {
        const float *row = d.dz + r * d.out;
        for (int64_t j = 0; j < d.out; j++) d.db[j] += row[j];
    }
    if (d.dx && (d.act != 0 || d.mult)) {
        float *__restrict dx = d.dx;
        const float *__restrict a = d.a;
        const float *__restrict mult = d.mult;
        const int64_t total = d.rows * d.in;
        if (d.act == 1) {
            for (int64_t i = 0; i < total; i++) dx[i] = a[i] > 0.f ? dx[i] : 0.f;
        } else if (d.act == 2) {
            for (int64_t i = 0; i < total; i++) dx[i] *= 1.f - a[i] * a[i];
        }
        if (mult != nullptr) {
            for (int64_t i = 0; i < total; i++) dx[i] *= mult[i];
        }
    }
    return true;
}

// denseGrad(heap, shape[batch, in, out, act, hasMult, needDx], offsets[x, dz, w, a, mult, dw, db, dx])
napi_value denseGradEntryPoint(napi_env env, napi_callback_info info) {
    const SignalsHeld held;
    Call call;
    if (!readCall(env, info, 6, 8, false, call))
        return fail(env, "denseGrad(heap, shape[6], offsets[8]): bad arguments");
    char *base = call.base;
    const std::vector<int64_t> &s = call.shape, &off = call.off;
    const bool hasMult = s[4] != 0, needDx = s[5] != 0;
    const DenseBackward d{s[0], s[1], s[2], static_cast<int>(s[3]), at(base, off[0]), at(base, off[1]), at(base, off[2]),
                          at(base, off[3]), hasMult ? at(base, off[4]) : nullptr, at(base, off[5]), at(base, off[6]),
                          needDx ? at(base, off[7]) : nullptr};
    if (!denseBackward(d)) return fail(env, "oneDNN sgemm failed");
    return undefinedValue(env);
}

// denseSoftmax(heap, shape[batch, in, out, act, hasMult, needDx, hasWeights],
//              offsets[x, w, b, labels, weights, a, mult, loss, logits, dw, db, dx], smoothing):
// a head's logits layer and its softmax crossentropy, forward and backward, in one call:
//   logits = x·w + b; loss = mean over rows of weight · -Σ_c t_c log softmax(logits)_c with
//   t = labels·(1 - s) + s/C; dz = weight/B · (softmax · Σ_c t_c - t); then denseBackward.
// The loss and its gradient are train/fused-loss.ts' crossentropy kernel (sums in double).
napi_value denseSoftmaxEntryPoint(napi_env env, napi_callback_info info) {
    const SignalsHeld held;
    Call call;
    if (!readCall(env, info, 7, 12, true, call))
        return fail(env, "denseSoftmax(heap, shape[7], offsets[12], smoothing): bad arguments");
    char *base = call.base;
    const std::vector<int64_t> &s = call.shape, &off = call.off;
    const int64_t rows = s[0], in = s[1], out = s[2];
    const bool hasMult = s[4] != 0, needDx = s[5] != 0, hasWeights = s[6] != 0;
    const double smoothing = call.number;
    const float *x = at(base, off[0]), *w = at(base, off[1]), *b = at(base, off[2]), *y = at(base, off[3]);
    const float *weights = hasWeights ? at(base, off[4]) : nullptr;
    float *loss = at(base, off[7]), *z = at(base, off[8]);
    {
        const OneThreadIf oneThread(smallProduct(static_cast<double>(rows) * in * out));
        if (dnnl_sgemm('N', 'N', rows, out, in, 1.f, x, in, w, out, 0.f, z, out) != dnnl_success) return fail(env, "oneDNN sgemm failed");
    }
    std::vector<float> dz(static_cast<size_t>(rows * out));
    std::vector<double> e(static_cast<size_t>(out));
    const double keep = 1 - smoothing, spread = smoothing / static_cast<double>(out);
    double total = 0;
    for (int64_t r = 0; r < rows; r++) {
        float *zr = z + r * out;
        const float *yr = y + r * out;
        for (int64_t c = 0; c < out; c++) zr[c] += b[c];
        double max = -INFINITY;
        for (int64_t c = 0; c < out; c++) max = std::max(max, static_cast<double>(zr[c]));
        double sumExp = 0;
        for (int64_t c = 0; c < out; c++) sumExp += (e[c] = std::exp(zr[c] - max));
        const double logSum = std::log(sumExp);
        double rowLoss = 0, targetSum = 0;
        for (int64_t c = 0; c < out; c++) {
            const double t = yr[c] * keep + spread;
            targetSum += t;
            rowLoss -= t * (zr[c] - max - logSum);
        }
        const double weight = weights ? weights[r] : 1.0;
        total += weight * rowLoss;
        const double scale = weight / static_cast<double>(rows);
        for (int64_t c = 0; c < out; c++) dz[r * out + c] = static_cast<float>(scale * (e[c] / sumExp * targetSum - (yr[c] * keep + spread)));
    }
    loss[0] = static_cast<float>(total / static_cast<double>(rows));
    const DenseBackward d{rows, in, out, static_cast<int>(s[3]), x, dz.data(), w, at(base, off[5]), hasMult ? at(base, off[6]) : nullptr,
                          at(base, off[9]), at(base, off[10]), needDx ? at(base, off[11]) : nullptr};
    if (!denseBackward(d)) return fail(env, "oneDNN sgemm failed");
    return undefinedValue(env);
}

// One variable's elements [from, to) as a plain function of restrict pointers, so the compiler
// vectorises it (sqrtps/divps round correctly, so the bits stay those of the JS loop). Written
// inline in the entry point, behind an OpenMP pragma, the loop stayed scalar: 3 ns per weight.
// Cloned for AVX2 and AVX-512 (picked by the CPU at load time): twice or four times the lanes.
__attribute__((target_clones("avx512f", "avx2", "default"))) void adamSpan(const float *__restrict g, const float *__restrict x, const float *__restrict m, const float *__restrict v,
              float *__restrict mo, float *__restrict vo, float *__restrict out, int64_t from, int64_t to, const float *p) {
    const float b1 = p[0], b2 = p[1], ob1 = p[2], ob2 = p[3], c2 = p[4], eps = p[5], step = p[6];
    for (int64_t i = from; i < to; i++) {
        const float gi = g[i];
        const float mj = m[i] * b1 + gi * ob1;
        const float vj = v[i] * b2 + (gi * gi) * ob2;
        mo[i] = mj;
        vo[i] = vj;
        const float denominator = std::sqrt(vj / c2) + eps;
        out[i] = x[i] - (mj / denominator) * step;
    }
}

// --- Adam -------------------------------------------------------------------------------------
// adam(heap, sizes[count, total, len_0..len_{k-1}], offsets[m, v, g_0..g_{k-1}, x_0..x_{k-1}, m', v',
// x'_0..x'_{k-1}], params[b1, b2, 1-b1, 1-b2, c2, eps, lr/c1]): one Adam step for every variable of
// a group (FlatAdam), the same arithmetic as wasm-kernels/adam-update.ts, operation by operation in
// float32 (no contraction into fused multiply-adds: -ffp-contract=off), so both give the same bits.
napi_value adamEntryPoint(napi_env env, napi_callback_info info) {
    // No oneDNN here: signals are held (2 µs a call) only around the OpenMP region of a large
    // variable, whose worker threads must inherit the held mask (see SignalsHeld).
    std::unique_ptr<SignalsHeld> held;
    size_t argc = 4;
    napi_value args[4];
    napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
    char *base;
    size_t bytes;
    std::vector<int64_t> sizes, off;
    napi_typedarray_type type;
    size_t length;
    void *data;
    napi_value buffer;
    size_t offset;
    if (argc < 4 || !heapPointer(env, args[0], &base, &bytes) || !intArray(env, args[1], sizes) || sizes.size() < 2 ||
        !intArray(env, args[2], off) ||
        napi_get_typedarray_info(env, args[3], &type, &length, &data, &buffer, &offset) != napi_ok ||
        type != napi_float64_array || length != 7)
        return fail(env, "adam(heap, sizes, offsets, params[7]): bad arguments");
    const int64_t count = sizes[0];
    if (static_cast<int64_t>(sizes.size()) != count + 2 || static_cast<int64_t>(off.size()) != 4 + 3 * count)
        return fail(env, "adam: sizes and offsets do not match the variable count");
    const double *p = static_cast<const double *>(data);
    // b1, b2, 1-b1, 1-b2, c2, eps, lr/c1 as float32 (each already Math.fround-ed on the JS side).
    float pf[7];
    for (int i = 0; i < 7; i++) pf[i] = static_cast<float>(p[i]);
    const float *m = at(base, off[0]);
    const float *v = at(base, off[1]);
    float *m1 = at(base, off[2 + 2 * count]);
    float *v1 = at(base, off[3 + 2 * count]);
    int64_t start = 0;
    for (int64_t k = 0; k < count; k++) {
        const int64_t len = sizes[2 + k];
        const float *g = at(base, off[2 + k]), *x = at(base, off[2 + count + k]);
        float *out = at(base, off[4 + 2 * count + k]);
        // Large variables in chunks over the threads; a head's few thousand weights on this one.
        if (len > 262144) {
            if (!held) held = std::make_unique<SignalsHeld>();
            const int64_t chunk = 65536;
#pragma omp parallel for
            for (int64_t c = 0; c < (len + chunk - 1) / chunk; c++)
                adamSpan(g, x, m + start, v + start, m1 + start, v1 + start, out, c * chunk, std::min(len, (c + 1) * chunk), pf);
        } else {
            adamSpan(g, x, m + start, v + start, m1 + start, v1 + start, out, 0, len, pf);
        }
        start += len;
    }
    return undefinedValue(env);
}

napi_value setThreads(napi_env env, napi_callback_info info) {
    const SignalsHeld held;
    size_t argc = 1;
    napi_value args[1];
    napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
    int32_t threads = 1;
    if (argc < 1 || napi_get_value_int32(env, args[0], &threads) != napi_ok || threads < 1)
        return fail(env, "setThreads(n): n must be a positive integer");
    omp_set_num_threads(threads);
    return undefinedValue(env);
}

napi_value version(napi_env env, napi_callback_info) {
    const dnnl_version_t *v = dnnl_version();
    std::string text = "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
    napi_value out;
    napi_create_string_utf8(env, text.c_str(), text.size(), &out);
    return out;
}

}  // namespace

NAPI_MODULE_INIT() {
    const struct {
        const char *name;
        napi_callback fn;
    } fns[] = {{"conv", convEntryPoint}, {"matmul", matmulEntryPoint}, {"denseGrad", denseGradEntryPoint}, {"denseSoftmax", denseSoftmaxEntryPoint}, {"relu", reluEntryPoint}, {"maxPool", maxPoolEntryPoint}, {"binary", binaryEntryPoint}, {"batchNorm", batchNormEntryPoint},
                 {"maxPoolGrad", maxPoolGradEntryPoint},
                 {"adam", adamEntryPoint}, {"batchNormTrain", batchNormTrainEntryPoint}, {"batchNormTrainGrad", batchNormTrainGradEntryPoint}, {"setThreads", setThreads}, {"version", version}};
    for (const auto &f : fns) {
        napi_value fn;
        napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &fn);
        napi_set_named_property(env, exports, f.name, fn);
    }
    return exports;
}
