// The array math under the four-vector kernels: cos/sin/exp against libm (within a few ULP,
// NaN and infinities as libm gives them), results independent of an element's position (the
// padded tail), and the (pt, eta, phi, mass) -> (px, py, pz, E) conversion.
#include "frame/kernels/vector_math.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace hepflow::frame::kernels {
namespace {

// Distance in units in the last place between two finite doubles of the same sign.
double ulps(double a, double b) {
    if (a == b) return 0;
    const double scale = std::max(std::abs(a), std::abs(b));
    return std::abs(a - b) / (scale * std::numeric_limits<double>::epsilon());
}

std::vector<double> sampleAngles(std::size_t n) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> angle(-4 * std::numbers::pi, 4 * std::numbers::pi);
    std::vector<double> x(n);
    for (auto& v : x) v = angle(rng);
    return x;
}

TEST(VectorMath, CosSinAndExpMatchLibm) {
    const std::vector<double> x = sampleAngles(10007);  // not a multiple of 4: a padded tail
    std::vector<double> c(x.size()), s(x.size()), e(x.size());
    cosSin(x.data(), x.size(), c.data(), s.data());
    expOf(x.data(), x.size(), e.data());
    for (std::size_t i = 0; i < x.size(); ++i) {
        // Absolute for cos/sin (near their zeros the relative error is meaningless).
        EXPECT_NEAR(c[i], std::cos(x[i]), 4e-16) << x[i];
        EXPECT_NEAR(s[i], std::sin(x[i]), 4e-16) << x[i];
        EXPECT_LE(ulps(e[i], std::exp(x[i])), 4) << x[i];
    }
}

TEST(VectorMath, SpecialValues) {
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    constexpr double kInf = std::numeric_limits<double>::infinity();
    const std::vector<double> x = {0.0, -0.0, kNaN, kInf, -kInf, 1e300, 710.0, -746.0, 1e-310};
    std::vector<double> c(x.size()), s(x.size()), e(x.size());
    cosSin(x.data(), x.size(), c.data(), s.data());
    expOf(x.data(), x.size(), e.data());
    EXPECT_EQ(c[0], 1.0);
    EXPECT_EQ(s[0], 0.0);
    EXPECT_EQ(e[0], 1.0);
    EXPECT_TRUE(std::signbit(s[1]));
    for (std::size_t i : {2u, 3u, 4u}) {  // NaN, +inf, -inf: cos and sin are NaN
        EXPECT_TRUE(std::isnan(c[i])) << x[i];
        EXPECT_TRUE(std::isnan(s[i])) << x[i];
    }
    EXPECT_TRUE(std::isnan(e[2]));
    EXPECT_EQ(e[3], kInf);
    EXPECT_EQ(e[4], 0.0);
    EXPECT_NEAR(c[5], std::cos(1e300), 1e-15);  // huge arguments still reduced exactly
    EXPECT_NEAR(s[5], std::sin(1e300), 1e-15);
    EXPECT_EQ(e[6], kInf);  // overflow
    EXPECT_EQ(e[7], 0.0);   // underflow
    EXPECT_EQ(e[8], 1.0);
}

TEST(VectorMath, ResultDoesNotDependOnPosition) {
    // The same value at every position of arrays of every length up to 9 (full vectors and
    // padded tails) gives bit-identical results.
    const double value = 1.2345678901234567;
    double c0 = 0, s0 = 0, e0 = 0;
    cosSin(&value, 1, &c0, &s0);
    expOf(&value, 1, &e0);
    for (std::size_t n = 1; n <= 9; ++n) {
        const std::vector<double> x(n, value);
        std::vector<double> c(n), s(n), e(n);
        cosSin(x.data(), n, c.data(), s.data());
        expOf(x.data(), n, e.data());
        for (std::size_t i = 0; i < n; ++i) {
            EXPECT_EQ(c[i], c0) << n << " " << i;
            EXPECT_EQ(s[i], s0) << n << " " << i;
            EXPECT_EQ(e[i], e0) << n << " " << i;
        }
    }
    // In place.
    std::vector<double> x(5, value);
    expOf(x.data(), x.size(), x.data());
    for (double v : x) EXPECT_EQ(v, e0);
}

TEST(VectorMath, PolarToCartesian) {
    const std::size_t n = 1001;  // several chunks of the conversion, and a tail
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> eta(-4.f, 4.f), phi(-3.14159f, 3.14159f), pt(1.f, 500.f),
        mass(0.f, 50.f);
    std::vector<float> vpt(n), veta(n), vphi(n), vmass(n);
    for (std::size_t i = 0; i < n; ++i) {
        vpt[i] = pt(rng);
        veta[i] = eta(rng);
        vphi[i] = phi(rng);
        vmass[i] = mass(rng);
    }
    std::vector<double> x(n), y(n), z(n), e(n);
    polarToCartesian(vpt.data(), veta.data(), vphi.data(), vmass.data(), n, x.data(), y.data(),
                     z.data(), e.data());
    for (std::size_t i = 0; i < n; ++i) {
        const double r = vpt[i];
        const double px = r * std::cos(double{vphi[i]});
        const double py = r * std::sin(double{vphi[i]});
        const double pz = r * std::sinh(double{veta[i]});
        const double m = vmass[i];
        const double energy = std::sqrt(px * px + py * py + pz * pz + m * m);
        EXPECT_NEAR(x[i], px, 1e-12 * r) << i;
        EXPECT_NEAR(y[i], py, 1e-12 * r) << i;
        EXPECT_NEAR(z[i], pz, 1e-12 * energy) << i;
        EXPECT_NEAR(e[i], energy, 1e-12 * energy) << i;
    }
    // Massless: E = |p|; double inputs take the same path.
    const std::vector<double> dpt = {10.0}, deta = {0.0}, dphi = {std::numbers::pi / 2};
    double px = 0, py = 0, pz = 0, energy = 0;
    polarToCartesian(dpt.data(), deta.data(), dphi.data(), static_cast<const double*>(nullptr), 1,
                     &px, &py, &pz, &energy);
    EXPECT_NEAR(px, 0.0, 1e-14);
    EXPECT_NEAR(py, 10.0, 1e-14);
    EXPECT_EQ(pz, 0.0);
    EXPECT_NEAR(energy, 10.0, 1e-14);
}

}  // namespace
}  // namespace hepflow::frame::kernels
