// Tests of the generator's building blocks: four-vectors (coordinates, boosts, two-body
// decays), the random streams (reproducible, independent per stream) and the sampled
// distributions (Breit-Wigner, power law, Poisson, Gaussian) against their known moments.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>

#include "physics/distributions.h"
#include "physics/four_vector.h"
#include "physics/random.h"

namespace hepflow::physics {
namespace {

constexpr double kPi = std::numbers::pi;

TEST(FourVector, CoordinatesRoundTrip) {
    struct Case {
        double pt, eta, phi, mass;
    };
    // Central, forward, backward, massless and heavy, phi near the +-pi seam.
    const Case cases[] = {{45.0, 0.0, 0.3, 0.105658},
                          {120.0, 3.9, -2.0, 4.8},
                          {7.5, -2.4, 3.1, 0.0},
                          {300.0, 1.2, -3.1, 172.5}};
    for (const auto& c : cases) {
        const auto v = FourVector::fromPtEtaPhiM(c.pt, c.eta, c.phi, c.mass);
        EXPECT_NEAR(v.pt(), c.pt, 1e-9 * c.pt);
        EXPECT_NEAR(v.eta(), c.eta, 1e-9);
        EXPECT_NEAR(v.phi(), c.phi, 1e-12);
        EXPECT_NEAR(v.mass(), c.mass, 1e-6 * v.e);
    }
    const auto y = FourVector::fromPtRapidityPhiM(10.0, 1.5, 0.0, 91.1876);
    EXPECT_NEAR(y.rapidity(), 1.5, 1e-12);
    EXPECT_NEAR(y.mass(), 91.1876, 1e-9);
    EXPECT_EQ(FourVector({0.0, 0.0, 5.0, 5.0}).eta(), kEtaAlongBeam);
}

TEST(FourVector, DeltaPhiWrapsIntoMinusPiToPi) {
    EXPECT_NEAR(deltaPhi(3.0, -3.0), 6.0 - 2.0 * kPi, 1e-12);
    EXPECT_NEAR(deltaPhi(-3.0, 3.0), 2.0 * kPi - 6.0, 1e-12);
    EXPECT_NEAR(deltaPhi(0.5, 0.25), 0.25, 1e-12);
    EXPECT_NEAR(deltaR(0.0, 3.0, 0.3, -3.0), std::hypot(0.3, 6.0 - 2.0 * kPi), 1e-12);
}

TEST(FourVector, BoostOfARestMassGivesItsMomentum) {
    const FourVector at_rest{0.0, 0.0, 0.0, 10.0};
    // beta = 0.6 along x: gamma = 1.25, p = gamma beta m = 7.5.
    const auto moving = at_rest.boosted(0.6, 0.0, 0.0);
    EXPECT_NEAR(moving.px, 7.5, 1e-12);
    EXPECT_NEAR(moving.e, 12.5, 1e-12);
    EXPECT_NEAR(moving.mass(), 10.0, 1e-12);
    // Boosting back undoes it.
    const auto back = moving.boosted(-0.6, 0.0, 0.0);
    EXPECT_NEAR(back.px, 0.0, 1e-12);
    EXPECT_NEAR(back.e, 10.0, 1e-12);
}

TEST(FourVector, TwoBodyDecayConservesMomentumAndMasses) {
    const auto z = FourVector::fromPtRapidityPhiM(35.0, -1.1, 2.0, 91.0);
    const auto [a, b] = twoBodyDecay(z, 0.105658, 0.105658, 0.4, -1.3);
    const auto sum = a + b;
    EXPECT_NEAR(sum.px, z.px, 1e-9);
    EXPECT_NEAR(sum.py, z.py, 1e-9);
    EXPECT_NEAR(sum.pz, z.pz, 1e-9);
    EXPECT_NEAR(sum.e, z.e, 1e-9);
    EXPECT_NEAR(a.mass(), 0.105658, 1e-5);
    EXPECT_NEAR(sum.mass(), 91.0, 1e-9);
    // At rest the daughters are back to back with p = M / 2 (massless limit).
    const auto [c, d] = twoBodyDecay({0, 0, 0, 80.0}, 0.0, 0.0, 0.0, 0.0);
    EXPECT_NEAR(c.px, 40.0, 1e-12);
    EXPECT_NEAR(d.px, -40.0, 1e-12);
    // t -> b W: the b momentum in the top frame, from the Kallen function.
    const auto [bq, w] = twoBodyDecay({0, 0, 0, 172.5}, 4.8, 80.4, 1.0, 0.0);
    const double m = 172.5, m1 = 4.8, m2 = 80.4;
    const double p =
        std::sqrt((m * m - (m1 + m2) * (m1 + m2)) * (m * m - (m1 - m2) * (m1 - m2))) / (2 * m);
    EXPECT_NEAR(bq.pz, p, 1e-9);
    EXPECT_NEAR(w.mass(), 80.4, 1e-9);
}

TEST(Random, StreamsAreReproducibleAndIndependent) {
    Xoshiro256pp a(42, 7), b(42, 7), other_stream(42, 8), other_seed(43, 7);
    int same_stream_equal = 0, other_stream_equal = 0, other_seed_equal = 0;
    for (int i = 0; i < 1000; ++i) {
        const auto x = a.next();
        same_stream_equal += x == b.next();
        other_stream_equal += x == other_stream.next();
        other_seed_equal += x == other_seed.next();
    }
    EXPECT_EQ(same_stream_equal, 1000);
    EXPECT_EQ(other_stream_equal, 0);
    EXPECT_EQ(other_seed_equal, 0);
    // Seed 0, stream 0 still gives a working generator.
    Xoshiro256pp zero(0, 0);
    EXPECT_NE(zero.next(), zero.next());
}

TEST(Random, UniformGaussianAndPoissonMoments) {
    Rng rng(1, 0);
    constexpr int kN = 200000;
    double sum_u = 0, min_u = 1, max_u = 0, sum_g = 0, sum_g2 = 0, sum_p = 0, sum_p2 = 0;
    for (int i = 0; i < kN; ++i) {
        const double u = rng.uniform();
        sum_u += u;
        min_u = std::min(min_u, u);
        max_u = std::max(max_u, u);
        const double g = rng.gaussian();
        sum_g += g;
        sum_g2 += g * g;
        const double k = rng.poisson(21.0);
        sum_p += k;
        sum_p2 += k * k;
    }
    EXPECT_GE(min_u, 0.0);
    EXPECT_LT(max_u, 1.0);
    // Standard errors: uniform mean 0.29/sqrt(N) ~ 6e-4; gaussian mean 2e-3.
    EXPECT_NEAR(sum_u / kN, 0.5, 0.003);
    EXPECT_NEAR(sum_g / kN, 0.0, 0.01);
    EXPECT_NEAR(sum_g2 / kN, 1.0, 0.02);
    const double mean_p = sum_p / kN;
    EXPECT_NEAR(mean_p, 21.0, 0.1);
    EXPECT_NEAR(sum_p2 / kN - mean_p * mean_p, 21.0, 0.5);
    EXPECT_EQ(rng.poisson(0.0), 0);
    EXPECT_GT(rng.draws(), static_cast<std::uint64_t>(3 * kN));
}

TEST(Distributions, BreitWignerPeaksAtThePoleWithItsWidth) {
    Rng rng(2, 0);
    constexpr int kN = 100000;
    std::vector<double> masses(kN);
    for (auto& m : masses) m = sampleBreitWigner(rng, 91.1876, 2.4952, 50.0, 150.0);
    EXPECT_GE(*std::min_element(masses.begin(), masses.end()), 50.0);
    EXPECT_LE(*std::max_element(masses.begin(), masses.end()), 150.0);
    std::sort(masses.begin(), masses.end());
    // Median at the pole; the quartiles at +-Gamma/2 (a Cauchy's half width), to the
    // truncation's and the relativistic form's small shifts.
    EXPECT_NEAR(masses[kN / 2], 91.19, 0.05);
    EXPECT_NEAR(masses[3 * kN / 4] - masses[kN / 4], 2.4952, 0.15);
}

TEST(Distributions, PowerLawFallsWithItsIndex) {
    Rng rng(3, 0);
    constexpr int kN = 100000;
    int above_double = 0;
    for (int i = 0; i < kN; ++i) {
        const double x = samplePowerLaw(rng, 20.0, 3000.0, 5.0);
        ASSERT_GE(x, 20.0);
        ASSERT_LE(x, 3000.0);
        above_double += x > 40.0;
    }
    // P(x > 2 lo) = 2^(1 - n) = 1/16 for n = 5 (the upper cut changes nothing visible).
    EXPECT_NEAR(static_cast<double>(above_double) / kN, 1.0 / 16, 0.004);
}

TEST(Distributions, DrellYanAngleFollowsOnePlusCosSquared) {
    Rng rng(4, 0);
    constexpr int kN = 100000;
    double sum_c2 = 0;
    for (int i = 0; i < kN; ++i) {
        const double c = sampleCosThetaDrellYan(rng);
        ASSERT_LE(std::abs(c), 1.0);
        sum_c2 += c * c;
    }
    // <cos^2> = (1/3 + 1/5) / (1 + 1/3) = 0.4 (flat would be 1/3).
    EXPECT_NEAR(sum_c2 / kN, 0.4, 0.005);
}

}  // namespace
}  // namespace hepflow::physics
