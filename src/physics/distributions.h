// Physics-shaped distributions: the relativistic Breit-Wigner of a resonance, steeply falling
// power laws (QCD spectra), a soft boson-pT shape and the Drell-Yan decay angle. Inverse
// transforms where possible: one uniform per value and exact truncation, no rejection loops.
#pragma once

#include <algorithm>
#include <cmath>

#include "physics/random.h"

namespace hepflow::physics {

// Mass of a resonance with pole `mass` and `width`, from the relativistic Breit-Wigner in
// s = m^2, 1 / ((s - M^2)^2 + M^2 Gamma^2), truncated to [lo, hi] (0 <= lo < hi): the
// density in s is a Cauchy, so its CDF inverts through tan().
inline double sampleBreitWigner(Rng& rng, double mass, double width, double lo, double hi) {
    const double m2 = mass * mass;
    const double mg = mass * width;
    const double a = std::atan((lo * lo - m2) / mg);
    const double b = std::atan((hi * hi - m2) / mg);
    const double s = m2 + mg * std::tan(a + (b - a) * rng.uniform());
    return std::clamp(std::sqrt(std::max(s, 0.0)), lo, hi);
}

// x in [lo, hi) with density proportional to x^-index (index != 1, lo > 0): jet and pT-hat
// spectra, dsigma/dpT ~ pT^-n with n around 4-6 at the LHC.
inline double samplePowerLaw(Rng& rng, double lo, double hi, double index) {
    const double e = 1.0 - index;
    const double a = std::pow(lo, e);
    const double b = std::pow(hi, e);
    return std::pow(a + (b - a) * rng.uniform(), 1.0 / e);
}

// Transverse momentum of a W or Z: a Gamma(2) core (mode at `scale`, where soft-gluon
// resummation puts it, a few GeV) plus, with probability `tail_fraction`, a hard pT^-3 tail
// from `tail_start` (a boson recoiling against a jet).
inline double sampleBosonPt(Rng& rng, double scale, double tail_fraction, double tail_start) {
    static constexpr double kTailIndex = 3.0;
    static constexpr double kMaxPt = 1000.0;
    if (rng.bernoulli(tail_fraction)) return samplePowerLaw(rng, tail_start, kMaxPt, kTailIndex);
    return -scale * std::log(rng.uniformPositive() * rng.uniformPositive());
}

// Polar cosine in a vector boson's rest frame following 1 + cos^2(theta) (unpolarised
// q qbar -> Z/gamma* -> l l), by accept-reject against the flat density (2/3 acceptance).
inline double sampleCosThetaDrellYan(Rng& rng) {
    for (;;) {
        const double c = rng.uniform(-1.0, 1.0);
        if (2.0 * rng.uniform() < 1.0 + c * c) return c;
    }
}

}  // namespace hepflow::physics
