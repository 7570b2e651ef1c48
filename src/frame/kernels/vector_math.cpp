// cos/sin/exp over arrays: glibc's libmvec 4-wide AVX2 routines where the CPU has AVX2 + FMA
// (chosen once per process), libm otherwise. The last n % 4 values are padded to a full vector,
// so every value takes the same path.
#include "frame/kernels/vector_math.h"

#include <algorithm>
#include <cmath>

#if defined(HEPFLOW_HAVE_LIBMVEC)
#include <immintrin.h>

// libmvec's AVX2 variants (x86-64 vector function ABI, glibc >= 2.22): 4 doubles in ymm0.
extern "C" __attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_cos(__m256d);
extern "C" __attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_sin(__m256d);
extern "C" __attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_exp(__m256d);
#endif

namespace hepflow::frame::kernels {

namespace {

void cosSinScalar(const double* x, std::size_t n, double* cos_out, double* sin_out) {
    for (std::size_t i = 0; i < n; ++i) {
        cos_out[i] = std::cos(x[i]);
        sin_out[i] = std::sin(x[i]);
    }
}

void expScalar(const double* x, std::size_t n, double* out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = std::exp(x[i]);
}

#if defined(HEPFLOW_HAVE_LIBMVEC)
__attribute__((target("avx2,fma"))) void cosSinAvx2(const double* x, std::size_t n, double* cos_out,
                                                    double* sin_out) {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256d v = _mm256_loadu_pd(x + i);
        _mm256_storeu_pd(cos_out + i, _ZGVdN4v_cos(v));
        _mm256_storeu_pd(sin_out + i, _ZGVdN4v_sin(v));
    }
    if (i == n) return;
    alignas(32) double in[4] = {0, 0, 0, 0};
    alignas(32) double c[4];
    alignas(32) double s[4];
    std::copy(x + i, x + n, in);
    const __m256d v = _mm256_load_pd(in);
    _mm256_store_pd(c, _ZGVdN4v_cos(v));
    _mm256_store_pd(s, _ZGVdN4v_sin(v));
    std::copy(c, c + (n - i), cos_out + i);
    std::copy(s, s + (n - i), sin_out + i);
}

__attribute__((target("avx2,fma"))) void expAvx2(const double* x, std::size_t n, double* out) {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(out + i, _ZGVdN4v_exp(_mm256_loadu_pd(x + i)));
    if (i == n) return;
    alignas(32) double in[4] = {0, 0, 0, 0};
    alignas(32) double e[4];
    std::copy(x + i, x + n, in);
    _mm256_store_pd(e, _ZGVdN4v_exp(_mm256_load_pd(in)));
    std::copy(e, e + (n - i), out + i);
}
#endif

struct Routines {
    void (*cos_sin)(const double*, std::size_t, double*, double*) = cosSinScalar;
    void (*exp)(const double*, std::size_t, double*) = expScalar;
    bool accelerated = false;
};

const Routines& routines() {
    static const Routines chosen = [] {
        Routines r;
#if defined(HEPFLOW_HAVE_LIBMVEC)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            r.cos_sin = cosSinAvx2;
            r.exp = expAvx2;
            r.accelerated = true;
        }
#endif
        return r;
    }();
    return chosen;
}

}  // namespace

void cosSin(const double* x, std::size_t n, double* cos_out, double* sin_out) {
    routines().cos_sin(x, n, cos_out, sin_out);
}

void expOf(const double* x, std::size_t n, double* out) {
    routines().exp(x, n, out);
}

bool vectorMathAccelerated() {
    return routines().accelerated;
}

template <class T>
void polarToCartesian(const T* pt, const T* eta, const T* phi, const T* mass, std::size_t n,
                      double* px, double* py, double* pz, double* energy) {
    // Chunks keep the widened inputs and the intermediate results in L1.
    constexpr std::size_t kChunk = 256;
    double wide[kChunk];
    for (std::size_t begin = 0; begin < n; begin += kChunk) {
        const std::size_t count = std::min(kChunk, n - begin);
        double* x = px + begin;
        double* y = py + begin;
        double* z = pz + begin;
        double* e = energy + begin;
        for (std::size_t i = 0; i < count; ++i) wide[i] = static_cast<double>(phi[begin + i]);
        cosSin(wide, count, x, y);
        for (std::size_t i = 0; i < count; ++i) wide[i] = static_cast<double>(eta[begin + i]);
        expOf(wide, count, z);
        for (std::size_t i = 0; i < count; ++i) {
            const double r = static_cast<double>(pt[begin + i]);
            const double m = mass != nullptr ? static_cast<double>(mass[begin + i]) : 0.0;
            const double xi = r * x[i];
            const double yi = r * y[i];
            // sinh from one exp; the cancellation near eta = 0 costs an absolute 1e-16, far
            // below the inputs' precision.
            const double zi = r * (0.5 * (z[i] - 1.0 / z[i]));
            x[i] = xi;
            y[i] = yi;
            z[i] = zi;
            e[i] = std::sqrt(xi * xi + yi * yi + zi * zi + m * m);
        }
    }
}

template void polarToCartesian<float>(const float*, const float*, const float*, const float*,
                                      std::size_t, double*, double*, double*, double*);
template void polarToCartesian<double>(const double*, const double*, const double*, const double*,
                                       std::size_t, double*, double*, double*, double*);

}  // namespace hepflow::frame::kernels
