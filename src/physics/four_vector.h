// Lorentz four-vectors in (px, py, pz, E) with the collider coordinates NanoAOD stores
// (pt, eta, phi, mass), boosts and two-body decays: the kinematics the event generators and
// the physics checks of their output share.
#pragma once

#include <cmath>
#include <utility>

namespace hepflow::physics {

struct FourVector {
    double px = 0.0;
    double py = 0.0;
    double pz = 0.0;
    double e = 0.0;

    static FourVector fromPtEtaPhiM(double pt, double eta, double phi, double mass);
    // From rapidity y instead of pseudorapidity: how boson and top spectra are given.
    static FourVector fromPtRapidityPhiM(double pt, double rapidity, double phi, double mass);

    double pt() const { return std::hypot(px, py); }
    double p() const { return std::sqrt(px * px + py * py + pz * pz); }
    double phi() const { return pt() > 0.0 ? std::atan2(py, px) : 0.0; }
    // Pseudorapidity; a vector along the beam gets +-kEtaAlongBeam instead of infinity.
    double eta() const;
    double rapidity() const;
    // Negative m^2 (rounding, or off-shell differences) gives -sqrt(-m^2), as ROOT's
    // TLorentzVector::M() does.
    double mass() const;
    double mass2() const { return e * e - (px * px + py * py + pz * pz); }

    FourVector operator+(const FourVector& o) const {
        return {px + o.px, py + o.py, pz + o.pz, e + o.e};
    }
    FourVector operator-(const FourVector& o) const {
        return {px - o.px, py - o.py, pz - o.pz, e - o.e};
    }
    FourVector operator*(double k) const { return {px * k, py * k, pz * k, e * k}; }
    FourVector& operator+=(const FourVector& o) { return *this = *this + o; }

    // This vector seen from a frame moving with velocity -beta, i.e. boosted by beta
    // (|beta| < 1): a decay product in its parent's rest frame, boosted by parent.boostVector(),
    // comes out in the lab.
    FourVector boosted(double bx, double by, double bz) const;
    // p / E of this vector (E > 0).
    void boostVector(double& bx, double& by, double& bz) const {
        bx = px / e;
        by = py / e;
        bz = pz / e;
    }
};

// |eta| reported for a vector with no transverse momentum.
inline constexpr double kEtaAlongBeam = 1e10;

// phi1 - phi2 folded into [-pi, pi).
double deltaPhi(double phi1, double phi2);
double deltaR(double eta1, double phi1, double eta2, double phi2);

// The decay of `parent` into daughters of masses m1 and m2 (m1 + m2 <= parent mass), with the
// first daughter flying along (cos_theta, phi) in the parent's rest frame (axes parallel to the
// lab's). Returns the daughters in the lab frame; their sum is the parent.
std::pair<FourVector, FourVector> twoBodyDecay(const FourVector& parent, double m1, double m2,
                                               double cos_theta, double phi);

}  // namespace hepflow::physics
