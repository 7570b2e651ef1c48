// Elementwise cos/sin and exp over arrays of doubles, and the (pt, eta, phi, mass) -> (px, py,
// pz, E) conversion built on them: the transcendental part of every four-vector kernel. On
// x86-64 CPUs with AVX2 and FMA, values go four at a time through glibc's libmvec (within 4
// ULP of libm, about 5x faster); elsewhere through libm one at a time.
#pragma once

#include <cstddef>

namespace hepflow::frame::kernels {

// cos_out[i] = cos(x[i]), sin_out[i] = sin(x[i]) for i < n. Every element, the last few
// included, goes through the same routine, so a result never depends on the element's
// position in the array (and so on how events were split into batches).
void cosSin(const double* x, std::size_t n, double* cos_out, double* sin_out);

// out[i] = exp(x[i]) for i < n; `out` may be `x`.
void expOf(const double* x, std::size_t n, double* out);

// (px, py, pz, E) of n objects, with pz = pt sinh(eta) and E = |p|^2 + mass^2 under the root;
// `mass` may be null (massless). T is float or double.
template <class T>
void polarToCartesian(const T* pt, const T* eta, const T* phi, const T* mass, std::size_t n,
                      double* px, double* py, double* pz, double* energy);

// True when the libmvec path serves this process (for benchmarks and reports).
bool vectorMathAccelerated();

}  // namespace hepflow::frame::kernels
