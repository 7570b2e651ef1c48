// Four-vector arithmetic: collider coordinates, boosts and two-body decays.
#include "physics/four_vector.h"

#include <algorithm>
#include <numbers>

namespace hepflow::physics {

FourVector FourVector::fromPtEtaPhiM(double pt, double eta, double phi, double mass) {
    const double px = pt * std::cos(phi);
    const double py = pt * std::sin(phi);
    const double pz = pt * std::sinh(eta);
    const double p2 = pt * pt + pz * pz;
    return {px, py, pz, std::sqrt(p2 + mass * mass)};
}

FourVector FourVector::fromPtRapidityPhiM(double pt, double rapidity, double phi, double mass) {
    const double mt = std::sqrt(pt * pt + mass * mass);
    return {pt * std::cos(phi), pt * std::sin(phi), mt * std::sinh(rapidity),
            mt * std::cosh(rapidity)};
}

double FourVector::eta() const {
    const double t = pt();
    if (t == 0.0) return pz == 0.0 ? 0.0 : std::copysign(kEtaAlongBeam, pz);
    return std::asinh(pz / t);
}

double FourVector::rapidity() const {
    const double num = e + pz;
    const double den = e - pz;
    if (num <= 0.0 || den <= 0.0) return std::copysign(kEtaAlongBeam, pz);
    return 0.5 * std::log(num / den);
}

double FourVector::mass() const {
    const double m2 = mass2();
    return m2 >= 0.0 ? std::sqrt(m2) : -std::sqrt(-m2);
}

FourVector FourVector::boosted(double bx, double by, double bz) const {
    const double b2 = bx * bx + by * by + bz * bz;
    if (b2 <= 0.0) return *this;
    const double gamma = 1.0 / std::sqrt(1.0 - b2);
    const double bp = bx * px + by * py + bz * pz;
    const double gamma2 = (gamma - 1.0) / b2;
    const double k = gamma2 * bp + gamma * e;
    return {px + k * bx, py + k * by, pz + k * bz, gamma * (e + bp)};
}

double deltaPhi(double phi1, double phi2) {
    double d = std::remainder(phi1 - phi2, 2.0 * std::numbers::pi);
    if (d >= std::numbers::pi) d -= 2.0 * std::numbers::pi;
    return d;
}

double deltaR(double eta1, double phi1, double eta2, double phi2) {
    return std::hypot(eta1 - eta2, deltaPhi(phi1, phi2));
}

std::pair<FourVector, FourVector> twoBodyDecay(const FourVector& parent, double m1, double m2,
                                               double cos_theta, double phi) {
    const double m = std::max(parent.mass(), m1 + m2);
    // Daughter momentum in the rest frame (Kallen function).
    const double sum = m1 + m2;
    const double diff = m1 - m2;
    const double lambda = std::max(0.0, (m * m - sum * sum) * (m * m - diff * diff));
    const double p = std::sqrt(lambda) / (2.0 * m);
    const double sin_theta = std::sqrt(std::max(0.0, 1.0 - cos_theta * cos_theta));
    const double px = p * sin_theta * std::cos(phi);
    const double py = p * sin_theta * std::sin(phi);
    const double pz = p * cos_theta;
    const FourVector d1{px, py, pz, std::sqrt(p * p + m1 * m1)};
    const FourVector d2{-px, -py, -pz, std::sqrt(p * p + m2 * m2)};
    double bx, by, bz;
    parent.boostVector(bx, by, bz);
    return {d1.boosted(bx, by, bz), d2.boosted(bx, by, bz)};
}

}  // namespace hepflow::physics
