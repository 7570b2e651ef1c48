// The NanoAOD-like generator: per event, a hard process at parton/lepton level (resonances
// sampled from Breit-Wigners and decayed in their rest frames), then a simple CMS-like detector:
// acceptance, efficiencies, resolutions, isolation and b-tag shapes, fakes, pileup, MET as the
// invisible momentum plus the mismeasurement of everything visible. docs/generator.md has the
// model and its numbers' origins; this file is the one place they live.
#include "physics/nanoaod_generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <string>
#include <tuple>

#include <fmt/format.h>

#include "common/error.h"
#include "physics/distributions.h"
#include "physics/four_vector.h"
#include "physics/random.h"

namespace hepflow::physics {
namespace {

using frame::Column;
using frame::ColumnBatch;
using frame::DType;

// ---------------------------------------------------------------- constants

// Masses and widths in GeV (PDG values of the 2012 era, as the open-data simulation used).
constexpr double kElectronMass = 0.000511;
constexpr double kMuonMass = 0.105658;
constexpr double kTauMass = 1.77686;
constexpr double kPionMass = 0.13957;
constexpr double kBottomMass = 4.8;
constexpr double kZMass = 91.1876;
constexpr double kZWidth = 2.4952;
constexpr double kWMass = 80.385;
constexpr double kWWidth = 2.085;
constexpr double kTopMass = 172.5;
constexpr double kTopWidth = 1.41;

// Generator-level windows: Drell-Yan above 50 GeV as the CMS DYJetsToLL_M-50 sample.
constexpr double kDrellYanMassMin = 50.0;
constexpr double kDrellYanMassMax = 150.0;
constexpr double kWMassMin = 40.0;
constexpr double kWMassMax = 200.0;
constexpr double kTopMassMin = 150.0;
constexpr double kTopMassMax = 195.0;
// Kinematic limit on boson rapidity at 8 TeV, ln(sqrt(s) / M).
constexpr double kMaxBosonRapidity = 4.4;

// Detector acceptance and NanoAOD thresholds.
constexpr double kMuonEtaMax = 2.4;
constexpr double kElectronEtaMax = 2.5;
constexpr double kTauEtaMax = 2.3;
constexpr double kPhotonEtaMax = 2.5;
constexpr double kJetEtaMax = 4.7;
constexpr double kTrackerEtaMax = 2.4;  // b tagging needs tracks
constexpr double kHfEtaMin = 3.0;       // forward calorimeter: coarser jet resolution
constexpr double kEcalCrackMin = 1.4442;
constexpr double kEcalCrackMax = 1.566;
constexpr double kMuonPtMin = 3.0;
constexpr double kElectronPtMin = 5.0;
constexpr double kTauPtMin = 18.0;
constexpr double kPhotonPtMin = 5.0;
constexpr double kJetPtMin = 15.0;

// 2012: ~21 pileup interactions on average; ~70% of them give a reconstructed vertex.
constexpr double kMeanPileup = 21.0;
constexpr double kVertexEfficiency = 0.7;

// HLT_IsoMu24: online pT above 24 GeV, online isolation and ~92% efficiency on the plateau.
constexpr double kTriggerPt = 24.0;
constexpr double kTriggerIsolation = 0.2;
constexpr double kTriggerEfficiency = 0.92;
constexpr double kTriggerPtResolution = 0.015;

// Run/lumi numbering: events fill luminosity sections of 2012 run numbers in order.
constexpr std::uint32_t kFirstRun = 194108;
constexpr std::int64_t kEventsPerLumi = 1500;
constexpr std::int64_t kLumisPerRun = 400;

// ---------------------------------------------------------------- event record

// Reconstructed objects, as written (Float_t/Int_t/Bool_t members map to branches below).
struct Lepton {
    float pt = 0, eta = 0, phi = 0, mass = 0;
    std::int32_t charge = 0;
    float pf_rel_iso03 = 0, pf_rel_iso04 = 0;
    bool tight_id = false, soft_id = false;
    float dxy = 0, dz = 0;
    std::int32_t cut_based_id = 0;  // electrons: 0 fail, 1 veto, 2 loose, 3 medium, 4 tight
};

struct Tau {
    float pt = 0, eta = 0, phi = 0, mass = 0;
    std::int32_t charge = 0;
    std::int32_t decay_mode = 0;  // 0 one prong, 1 one prong + pi0s, 10 three prongs
    float rel_iso = 0;
};

struct Photon {
    float pt = 0, eta = 0, phi = 0, mass = 0;
    float pf_rel_iso03 = 0;
};

struct Jet {
    float pt = 0, eta = 0, phi = 0, mass = 0;
    float btag = 0;          // CSV-like discriminant in [0, 1)
    std::int32_t pu_id = 0;  // NanoAOD bits: 4 loose, 6 loose+medium, 7 all three
};

// What an object came from: sets isolation, impact parameters and identification.
enum class Origin { Prompt, FromTau, NonPrompt };

struct EventRecord {
    std::vector<Lepton> muons, electrons;
    std::vector<Tau> taus;
    std::vector<Photon> photons;
    std::vector<Jet> jets;
    double met_x = 0, met_y = 0;  // invisible momentum + mismeasurement of the visible
    double sumet = 0;
    int pileup = 0;
    std::int32_t vertices = 1;
    bool trigger = false;

    void clear() {
        muons.clear();
        electrons.clear();
        taus.clear();
        photons.clear();
        jets.clear();
        met_x = met_y = sumet = 0;
        pileup = 0;
        vertices = 1;
        trigger = false;
    }
};

// ---------------------------------------------------------------- the schema

// A branch of a collection: its name after "Muon_" and the member holding its values. The
// branch specs and the chunk's columns are both built from these tables, so they cannot drift
// apart; the member's C++ type gives the ROOT type (float -> Float_t, int32 -> Int_t, bool).
template <class Object, class T>
struct Field {
    const char* name;
    T Object::*member;
};
template <class Object, class T>
constexpr Field<Object, T> field(const char* name, T Object::*member) {
    return {name, member};
}

constexpr auto kLeptonFields = std::tuple{
    field("pt", &Lepton::pt),
    field("eta", &Lepton::eta),
    field("phi", &Lepton::phi),
    field("mass", &Lepton::mass),
    field("charge", &Lepton::charge),
    field("pfRelIso03_all", &Lepton::pf_rel_iso03),
    field("pfRelIso04_all", &Lepton::pf_rel_iso04),
    field("tightId", &Lepton::tight_id),
    field("softId", &Lepton::soft_id),
    field("dxy", &Lepton::dxy),
    field("dz", &Lepton::dz),
};
constexpr auto kElectronExtraFields = std::tuple{field("cutBasedId", &Lepton::cut_based_id)};
constexpr auto kTauFields = std::tuple{
    field("pt", &Tau::pt),
    field("eta", &Tau::eta),
    field("phi", &Tau::phi),
    field("mass", &Tau::mass),
    field("charge", &Tau::charge),
    field("decayMode", &Tau::decay_mode),
    field("relIso_all", &Tau::rel_iso),
};
constexpr auto kPhotonFields = std::tuple{
    field("pt", &Photon::pt),
    field("eta", &Photon::eta),
    field("phi", &Photon::phi),
    field("mass", &Photon::mass),
    field("pfRelIso03_all", &Photon::pf_rel_iso03),
};
constexpr auto kJetFields = std::tuple{
    field("pt", &Jet::pt),     field("eta", &Jet::eta),   field("phi", &Jet::phi),
    field("mass", &Jet::mass), field("btag", &Jet::btag), field("puId", &Jet::pu_id),
};

template <class Tuple, class F>
void forEachField(const Tuple& fields, F&& f) {
    std::apply([&](const auto&... each) { (f(each), ...); }, fields);
}

template <class Object, class T>
constexpr DType fieldType(const Field<Object, T>&) {
    return frame::dtypeOf<T>();
}

root::BranchSpec flatSpec(std::string name, DType dtype) {
    root::BranchSpec spec;
    spec.name = std::move(name);
    spec.dtype = dtype;
    return spec;
}

// ---------------------------------------------------------------- one event

class EventGenerator {
public:
    EventGenerator(Rng& rng, EventRecord& event) : rng_(rng), ev_(event) {}

    void generate(Process process) {
        ev_.clear();
        ev_.pileup = rng_.poisson(kMeanPileup);
        ev_.vertices = 1 + rng_.poisson(kVertexEfficiency * ev_.pileup);
        switch (process) {
            case Process::DrellYan: drellYan(); break;
            case Process::W: wBoson(); break;
            case Process::TTbar: ttbar(); break;
            case Process::Qcd: qcd(); break;
        }
        pileupAndSoftTerm();
        finish();
    }

private:
    enum class Flavour { Electron, Muon, Tau };

    Flavour leptonFlavour() {
        const double u = rng_.uniform();
        return u < 1.0 / 3 ? Flavour::Electron : u < 2.0 / 3 ? Flavour::Muon : Flavour::Tau;
    }
    static double leptonMass(Flavour flavour) {
        return flavour == Flavour::Electron ? kElectronMass
               : flavour == Flavour::Muon   ? kMuonMass
                                            : kTauMass;
    }

    // ------------------------------------------------ hard processes

    // A W or Z with a soft pT (Gamma core + hard tail) and a broad rapidity.
    FourVector boson(double mass) {
        static constexpr double kPtScale = 3.5;  // the mode of the Gamma(2) core
        static constexpr double kTailFraction = 0.12;
        static constexpr double kTailStart = 15.0;
        static constexpr double kRapiditySigma = 1.8;
        const double pt = sampleBosonPt(rng_, kPtScale, kTailFraction, kTailStart);
        const double y =
            std::clamp(rng_.gaussian(0.0, kRapiditySigma), -kMaxBosonRapidity, kMaxBosonRapidity);
        return FourVector::fromPtRapidityPhiM(pt, y, rng_.phi(), mass);
    }

    void drellYan() {
        static constexpr double kIsrJets = 0.25;
        const FourVector z =
            boson(sampleBreitWigner(rng_, kZMass, kZWidth, kDrellYanMassMin, kDrellYanMassMax));
        const Flavour flavour = leptonFlavour();
        const double m = leptonMass(flavour);
        const auto [lepton, antilepton] =
            twoBodyDecay(z, m, m, sampleCosThetaDrellYan(rng_), rng_.phi());
        chargedLepton(flavour, lepton, -1);
        chargedLepton(flavour, antilepton, +1);
        recoil(z);
        isrJets(kIsrJets);
    }

    void wBoson() {
        static constexpr double kPlusFraction = 0.58;  // W+ / (W+ + W-) in pp at 8 TeV
        static constexpr double kIsrJets = 0.3;
        const FourVector w = boson(sampleBreitWigner(rng_, kWMass, kWWidth, kWMassMin, kWMassMax));
        const int charge = rng_.bernoulli(kPlusFraction) ? +1 : -1;
        leptonicW(w, charge);
        recoil(w);
        isrJets(kIsrJets);
    }

    // W -> l nu: the Jacobian peak of the lepton pT and the transverse mass follow from the
    // two-body decay (the V-A angular correlation is left out).
    void leptonicW(const FourVector& w, int charge) {
        const Flavour flavour = leptonFlavour();
        const auto [lepton, neutrino] =
            twoBodyDecay(w, leptonMass(flavour), 0.0, rng_.uniform(-1.0, 1.0), rng_.phi());
        chargedLepton(flavour, lepton, charge);
        invisible(neutrino);
    }

    void ttbar() {
        static constexpr double kTopPtScale = 48.0;  // Gamma(2): <pT> ~ 96 GeV
        static constexpr double kSystemPtScale = 12.0;
        static constexpr double kTopRapiditySigma = 1.1;
        static constexpr double kIsrJets = 0.7;
        const double pt1 = -kTopPtScale * std::log(rng_.uniformPositive() * rng_.uniformPositive());
        const double phi1 = rng_.phi();
        const double system_pt = rng_.exponential(kSystemPtScale);
        const double system_phi = rng_.phi();
        const double px2 = system_pt * std::cos(system_phi) - pt1 * std::cos(phi1);
        const double py2 = system_pt * std::sin(system_phi) - pt1 * std::sin(phi1);
        const auto mass = [&] {
            return sampleBreitWigner(rng_, kTopMass, kTopWidth, kTopMassMin, kTopMassMax);
        };
        const FourVector top = FourVector::fromPtRapidityPhiM(
            pt1, rng_.gaussian(0.0, kTopRapiditySigma), phi1, mass());
        const FourVector antitop = FourVector::fromPtRapidityPhiM(
            std::hypot(px2, py2), rng_.gaussian(0.0, kTopRapiditySigma), std::atan2(py2, px2),
            mass());
        topDecay(top, +1);
        topDecay(antitop, -1);
        isrJets(kIsrJets);
    }

    // t -> b W, W -> q q' (67.6%) or l nu.
    void topDecay(const FourVector& top, int charge) {
        static constexpr double kHadronicW = 0.676;
        const double top_mass = top.mass();
        const double w_mass = sampleBreitWigner(rng_, kWMass, kWWidth, kWMassMin,
                                                std::max(kWMassMin + 1.0, top_mass - kBottomMass));
        const auto [b, w] =
            twoBodyDecay(top, kBottomMass, w_mass, rng_.uniform(-1.0, 1.0), rng_.phi());
        parton(b, true);
        if (rng_.bernoulli(kHadronicW)) {
            const auto [q1, q2] = twoBodyDecay(w, 0.0, 0.0, rng_.uniform(-1.0, 1.0), rng_.phi());
            parton(q1, false);
            parton(q2, false);
        } else {
            leptonicW(w, charge);
        }
    }

    void qcd() {
        static constexpr double kPhotonJetFraction = 0.04;
        static constexpr double kPtHatMin = 20.0;
        static constexpr double kPtHatMax = 3000.0;
        static constexpr double kPtHatIndex = 5.0;  // dsigma/dpT ~ pT^-5
        static constexpr double kJetRapiditySigma = 2.2;
        static constexpr double kAcoplanarity = 0.12;
        static constexpr double kImbalance = 0.1;
        static constexpr double kHeavyFlavour = 0.03;  // b quark per leading parton
        static constexpr double kExtraJets = 0.9;
        static constexpr double kExtraJetIndex = 3.5;
        static constexpr double kExtraJetPtMin = 10.0;

        const double pt_hat = samplePowerLaw(rng_, kPtHatMin, kPtHatMax, kPtHatIndex);
        const double phi1 = rng_.phi();
        const double phi2 = phi1 + std::numbers::pi + rng_.gaussian(0.0, kAcoplanarity);
        const double pt2 = pt_hat * (1.0 - kImbalance * std::abs(rng_.gaussian()));
        const double y1 = rng_.gaussian(0.0, kJetRapiditySigma);
        const double y2 = rng_.gaussian(0.0, kJetRapiditySigma);
        if (rng_.bernoulli(kPhotonJetFraction)) {
            // gamma + jet: an isolated photon balancing one jet.
            promptPhoton(FourVector::fromPtEtaPhiM(pt_hat, y1, phi1, 0.0));
        } else {
            const bool b1 = rng_.bernoulli(kHeavyFlavour);
            parton(FourVector::fromPtEtaPhiM(pt_hat, y1, phi1, b1 ? kBottomMass : 0.0), b1);
        }
        const bool b2 = rng_.bernoulli(kHeavyFlavour);
        parton(FourVector::fromPtEtaPhiM(pt2, y2, phi2, b2 ? kBottomMass : 0.0), b2);
        const int extra = rng_.poisson(kExtraJets);
        for (int i = 0; i < extra; ++i) {
            const double pt = samplePowerLaw(
                rng_, kExtraJetPtMin, std::max(kExtraJetPtMin + 1.0, pt_hat), kExtraJetIndex);
            parton(FourVector::fromPtEtaPhiM(pt, rng_.gaussian(0.0, kJetRapiditySigma), rng_.phi(),
                                             0.0),
                   rng_.bernoulli(kHeavyFlavour));
        }
    }

    // The hadronic recoil of a boson: one jet carrying the boson's pT the other way (soft
    // recoil mostly ends up unclustered, with the under-measured response that makes MET).
    void recoil(const FourVector& boson_p4) {
        static constexpr double kRecoilPtMin = 5.0;
        static constexpr double kPhiSpread = 0.3;
        static constexpr double kEtaSigma = 2.0;
        const double pt = boson_p4.pt();
        if (pt < kRecoilPtMin) {
            unclustered(FourVector{-boson_p4.px, -boson_p4.py, 0.0, pt});
            return;
        }
        const double phi = boson_p4.phi() + std::numbers::pi + rng_.gaussian(0.0, kPhiSpread);
        parton(FourVector::fromPtEtaPhiM(pt, rng_.gaussian(0.0, kEtaSigma), phi, 0.0), false);
    }

    // Initial-state radiation: extra jets with a falling spectrum (their recoil is left out).
    void isrJets(double mean) {
        static constexpr double kPtMin = 10.0;
        static constexpr double kPtMax = 500.0;
        static constexpr double kIndex = 3.0;
        static constexpr double kEtaSigma = 2.2;
        const int n = rng_.poisson(mean);
        for (int i = 0; i < n; ++i)
            parton(FourVector::fromPtEtaPhiM(samplePowerLaw(rng_, kPtMin, kPtMax, kIndex),
                                             rng_.gaussian(0.0, kEtaSigma), rng_.phi(), 0.0),
                   false);
    }

    // ------------------------------------------------ truth -> reconstructed objects

    void invisible(const FourVector& p) {
        ev_.met_x += p.px;
        ev_.met_y += p.py;
    }
    // A visible object measured as `reco` instead of `truth`: MET takes the difference.
    void mismeasured(double truth_pt, double reco_pt, double phi) {
        ev_.met_x -= (reco_pt - truth_pt) * std::cos(phi);
        ev_.met_y -= (reco_pt - truth_pt) * std::sin(phi);
    }
    // Energy below the jet threshold: particle flow measures ~65% of it.
    void unclustered(const FourVector& p) {
        static constexpr double kSoftResponse = 0.65;
        ev_.met_x += (1.0 - kSoftResponse) * p.px;
        ev_.met_y += (1.0 - kSoftResponse) * p.py;
        ev_.sumet += kSoftResponse * p.pt();
    }

    void chargedLepton(Flavour flavour, const FourVector& p, int charge) {
        switch (flavour) {
            case Flavour::Electron: electron(p, charge, Origin::Prompt, 0.0); break;
            case Flavour::Muon: muon(p, charge, Origin::Prompt, 0.0); break;
            case Flavour::Tau: tauDecay(p, charge); break;
        }
    }

    // Isolation, impact parameters (cm) and IDs by origin. `nonprompt_iso` is the relative
    // isolation a lepton inside a jet gets from the jet's other particles.
    void fillLeptonQuality(Lepton& l, Origin origin, double nonprompt_iso) {
        static constexpr double kPromptIsoMean = 0.03;
        static constexpr double kPileupIsoPerVertex = 0.0015;
        static constexpr double kDxyResolution = 0.002;
        static constexpr double kDzResolution = 0.004;
        static constexpr double kTauFlight = 0.005;   // c tau of the tau, 87 um, smeared
        static constexpr double kHeavyFlight = 0.03;  // b and c hadrons, pi/K decays
        const double pileup_iso = kPileupIsoPerVertex * ev_.vertices * rng_.uniform();
        double iso03 = 0.0;
        double dxy = rng_.gaussian(0.0, kDxyResolution);
        double dz = rng_.gaussian(0.0, kDzResolution);
        switch (origin) {
            case Origin::Prompt: iso03 = rng_.exponential(kPromptIsoMean) + pileup_iso; break;
            case Origin::FromTau:
                iso03 = rng_.exponential(kPromptIsoMean) + pileup_iso;
                dxy += rng_.sign() * rng_.exponential(kTauFlight);
                dz += rng_.sign() * rng_.exponential(kTauFlight);
                break;
            case Origin::NonPrompt:
                iso03 = nonprompt_iso + pileup_iso;
                dxy += rng_.sign() * rng_.exponential(kHeavyFlight);
                dz += rng_.sign() * rng_.exponential(1.5 * kHeavyFlight);
                break;
        }
        l.pf_rel_iso03 = static_cast<float>(iso03);
        // The wider cone collects more of the same activity.
        l.pf_rel_iso04 = static_cast<float>(iso03 * rng_.uniform(1.15, 1.6));
        l.dxy = static_cast<float>(dxy);
        l.dz = static_cast<float>(dz);
    }

    void muon(const FourVector& p, int charge, Origin origin, double nonprompt_iso) {
        static constexpr double kEfficiency = 0.97;
        static constexpr double kResolution = 0.008;       // sigma(pT)/pT at low pT, barrel
        static constexpr double kResolutionSlope = 8e-5;   // per GeV: the sagitta term
        static constexpr double kEndcapDegradation = 0.3;  // relative, at |eta| = 2.4
        const double pt = p.pt();
        const double eta = p.eta();
        if (std::abs(eta) > kMuonEtaMax || !rng_.bernoulli(kEfficiency)) {
            // A muon that is not reconstructed crosses the calorimeters unseen: it is MET.
            if (origin != Origin::NonPrompt) invisible(p);
            return;
        }
        const double sigma = (kResolution + kResolutionSlope * pt) *
                             (1.0 + kEndcapDegradation * std::abs(eta) / kMuonEtaMax);
        const double reco_pt = pt * std::max(0.1, 1.0 + sigma * rng_.gaussian());
        if (reco_pt < kMuonPtMin) return;
        if (origin != Origin::NonPrompt) {
            mismeasured(pt, reco_pt, p.phi());
            ev_.sumet += reco_pt;
        }
        Lepton l;
        l.pt = static_cast<float>(reco_pt);
        l.eta = static_cast<float>(eta);
        l.phi = static_cast<float>(p.phi());
        l.mass = static_cast<float>(kMuonMass);
        l.charge = charge;
        fillLeptonQuality(l, origin, nonprompt_iso);
        const bool prompt = origin != Origin::NonPrompt;
        l.tight_id = rng_.bernoulli(prompt ? 0.96 : 0.55);
        l.soft_id = rng_.bernoulli(prompt ? 0.98 : 0.85);
        ev_.muons.push_back(l);
    }

    void electron(const FourVector& p, int charge, Origin origin, double nonprompt_iso) {
        static constexpr double kEfficiency = 0.90;
        static constexpr double kCrackEfficiency = 0.3;
        static constexpr double kStochastic = 0.04;  // sigma(E)/E = 4%/sqrt(E) + 0.7% (+1% EE)
        static constexpr double kConstant = 0.007;
        static constexpr double kEndcapConstant = 0.01;
        static constexpr double kChargeFlip = 0.003;
        // cutBasedId 0..4 for prompt electrons and for fakes / non-prompt ones.
        static constexpr std::array<double, 5> kPromptId = {0.05, 0.05, 0.10, 0.20, 0.60};
        static constexpr std::array<double, 5> kFakeId = {0.55, 0.20, 0.12, 0.08, 0.05};
        const double pt = p.pt();
        const double eta = p.eta();
        const double abs_eta = std::abs(eta);
        const bool crack = abs_eta > kEcalCrackMin && abs_eta < kEcalCrackMax;
        // An electron that is not reconstructed still deposits its energy: no MET.
        if (abs_eta > kElectronEtaMax || !rng_.bernoulli(crack ? kCrackEfficiency : kEfficiency))
            return;
        const double energy = p.e;
        const double constant = kConstant + (abs_eta > kEcalCrackMax ? kEndcapConstant : 0.0);
        const double sigma = std::hypot(kStochastic / std::sqrt(energy), constant);
        const double reco_pt = pt * std::max(0.1, 1.0 + sigma * rng_.gaussian());
        if (reco_pt < kElectronPtMin) return;
        const bool prompt = origin != Origin::NonPrompt;
        if (prompt) {
            mismeasured(pt, reco_pt, p.phi());
            ev_.sumet += reco_pt;
        }
        Lepton l;
        l.pt = static_cast<float>(reco_pt);
        l.eta = static_cast<float>(eta);
        l.phi = static_cast<float>(p.phi());
        l.mass = static_cast<float>(kElectronMass);
        l.charge = rng_.bernoulli(kChargeFlip * (1.0 + abs_eta)) ? -charge : charge;
        fillLeptonQuality(l, origin, nonprompt_iso);
        const auto& id_odds = prompt ? kPromptId : kFakeId;
        double u = rng_.uniform();
        l.cut_based_id = 4;
        for (std::int32_t level = 0; level < 4; ++level) {
            if (u < id_odds[level]) {
                l.cut_based_id = level;
                break;
            }
            u -= id_odds[level];
        }
        l.tight_id = l.cut_based_id >= 4;
        l.soft_id = l.cut_based_id >= 1;
        ev_.electrons.push_back(l);
    }

    // tau -> e nu nu (17.8%), mu nu nu (17.4%) or hadrons nu (64.8%), collinear with the tau
    // (it is boosted): the visible part takes a fraction x of its momentum, the neutrinos the
    // rest.
    void tauDecay(const FourVector& tau, int charge) {
        static constexpr double kToElectron = 0.178;
        static constexpr double kToMuon = 0.174;
        const double u = rng_.uniform();
        if (u < kToElectron + kToMuon) {
            // Lepton energy fraction of an unpolarised tau -> l nu nu: (5 - 9x^2 + 4x^3) / 3.
            double x;
            do {
                x = rng_.uniform();
            } while (3.0 * rng_.uniform() * 5.0 / 3.0 > 5.0 - 9.0 * x * x + 4.0 * x * x * x);
            const FourVector visible = tau * x;
            invisible(tau * (1.0 - x));
            const FourVector lepton =
                FourVector::fromPtEtaPhiM(visible.pt(), visible.eta(), visible.phi(),
                                          u < kToElectron ? kElectronMass : kMuonMass);
            if (u < kToElectron)
                electron(lepton, charge, Origin::FromTau, 0.0);
            else
                muon(lepton, charge, Origin::FromTau, 0.0);
            return;
        }
        // Hadronic: decay mode 0 (pi nu, 26%), 1 (rho nu, 51%), 10 (a1 nu, 23%); the visible
        // fraction is flat above (m_vis / m_tau)^2.
        const double v = rng_.uniform();
        std::int32_t mode;
        double vis_mass;
        if (v < 0.26) {
            mode = 0;
            vis_mass = kPionMass;
        } else if (v < 0.77) {
            mode = 1;
            vis_mass = std::clamp(rng_.gaussian(0.77, 0.15), 0.3, 1.5);
        } else {
            mode = 10;
            vis_mass = std::clamp(rng_.gaussian(1.1, 0.2), 0.8, 1.7);
        }
        const double x_min = vis_mass * vis_mass / (kTauMass * kTauMass);
        const double x = rng_.uniform(x_min, 1.0);
        invisible(tau * (1.0 - x));
        const FourVector visible = tau * x;
        hadronicTau(visible, vis_mass, charge, mode, true);
    }

    // A reconstructed tau_h (genuine, or a jet faking one). Genuine taus are also jets, as in
    // NanoAOD; a fake one already is.
    void hadronicTau(const FourVector& visible, double vis_mass, int charge, std::int32_t mode,
                     bool genuine) {
        static constexpr double kEfficiency = 0.6;
        static constexpr double kResolution = 0.05;
        const double pt = visible.pt();
        const double eta = visible.eta();
        if (genuine)
            parton(FourVector::fromPtEtaPhiM(pt, eta, visible.phi(), vis_mass), false,
                   /*is_tau=*/true);
        if (std::abs(eta) > kTauEtaMax || (genuine && !rng_.bernoulli(kEfficiency))) return;
        const double reco_pt = pt * std::max(0.1, 1.0 + kResolution * rng_.gaussian());
        if (reco_pt < kTauPtMin) return;
        Tau t;
        t.pt = static_cast<float>(reco_pt);
        t.eta = static_cast<float>(eta);
        t.phi = static_cast<float>(visible.phi());
        t.mass = static_cast<float>(vis_mass);
        t.charge = charge;
        t.decay_mode = mode;
        t.rel_iso =
            static_cast<float>(genuine ? rng_.exponential(0.05) : 0.05 + rng_.exponential(0.3));
        ev_.taus.push_back(t);
    }

    void promptPhoton(const FourVector& p) {
        static constexpr double kEfficiency = 0.9;
        static constexpr double kResolution = 0.01;
        const double eta = p.eta();
        if (std::abs(eta) > kPhotonEtaMax || !rng_.bernoulli(kEfficiency)) return;
        const double pt = p.pt();
        const double reco_pt = pt * (1.0 + kResolution * rng_.gaussian());
        mismeasured(pt, reco_pt, p.phi());
        ev_.sumet += reco_pt;
        if (reco_pt < kPhotonPtMin) return;
        ev_.photons.push_back({static_cast<float>(reco_pt), static_cast<float>(eta),
                               static_cast<float>(p.phi()), 0.0f,
                               static_cast<float>(rng_.exponential(0.02))});
    }

    // A quark or gluon: a jet with CMS-like resolution, b-tag score and pileup ID, and what
    // jets bring along: leptons from heavy-flavour decays (non-isolated, displaced), jets
    // faking taus and electrons, photons from pi0s.
    void parton(const FourVector& p, bool b_quark, bool is_tau = false) {
        static constexpr double kNoise = 2.5;       // GeV: pileup and electronics
        static constexpr double kStochastic = 1.0;  // sqrt(GeV), barrel and endcap
        static constexpr double kConstant = 0.04;
        static constexpr double kHfStochastic = 1.5;
        static constexpr double kHfConstant = 0.08;
        static constexpr double kAngularResolution = 0.02;
        const double pt = p.pt();
        const double eta = p.eta();
        const double phi = p.phi();
        const double reco_eta = eta + kAngularResolution * rng_.gaussian();
        if (std::abs(reco_eta) > kJetEtaMax) {
            invisible(p);  // down the beam pipe
            return;
        }
        const bool hf = std::abs(eta) > kHfEtaMin;
        const double s = hf ? kHfStochastic : kStochastic;
        const double c = hf ? kHfConstant : kConstant;
        const double sigma = std::sqrt(kNoise * kNoise / (pt * pt) + s * s / pt + c * c);
        const double reco_pt = pt * std::max(0.1, 1.0 + sigma * rng_.gaussian());
        if (reco_pt < kJetPtMin) {
            if (!is_tau) unclustered(p);
            return;
        }
        // A tau's jet is measured by the tau itself (hadronicTau), not as extra activity.
        if (!is_tau) mismeasured(pt, reco_pt, phi);
        ev_.sumet += reco_pt;
        const double reco_phi =
            std::remainder(phi + kAngularResolution * rng_.gaussian(), 2.0 * std::numbers::pi);
        // Jet mass from the shower: ~6-16% of pT on top of the parton's own mass.
        const double shower_mass = pt * rng_.uniform(0.06, 0.16);
        const double mass = std::hypot(p.mass() > 0 ? p.mass() : 0.0, shower_mass);
        Jet j;
        j.pt = static_cast<float>(reco_pt);
        j.eta = static_cast<float>(reco_eta);
        j.phi = static_cast<float>(reco_phi);
        j.mass = static_cast<float>(mass * reco_pt / pt);
        j.btag = static_cast<float>(bTag(b_quark, std::abs(reco_eta)));
        j.pu_id = hardJetPuId();
        ev_.jets.push_back(j);
        if (!is_tau) jetCompanions(p, reco_pt, b_quark);
    }

    // CSV-like: b jets pile up near 1, light jets near 0 with a small mistag tail; no
    // discrimination outside the tracker.
    double bTag(bool b_quark, double abs_eta) {
        static constexpr double kTaggable = 0.8;
        static constexpr double kLightMean = 0.08;
        static constexpr double kMistag = 0.015;
        static constexpr double kMaxScore = 0.9999;
        if (abs_eta > kTrackerEtaMax) return 0.0;
        double score;
        if (b_quark) {
            const double u = rng_.uniform();
            score = rng_.bernoulli(kTaggable) ? 1.0 - 0.5 * u * u : 0.6 * u;
        } else {
            score = rng_.bernoulli(kMistag) ? rng_.uniform(0.5, 1.0) : rng_.exponential(kLightMean);
        }
        return std::min(score, kMaxScore);
    }

    std::int32_t hardJetPuId() {
        const double u = rng_.uniform();
        return u < 0.85 ? 7 : u < 0.92 ? 6 : u < 0.97 ? 4 : 0;
    }

    void jetCompanions(const FourVector& p, double reco_pt, bool b_quark) {
        static constexpr double kBToMuon = 0.11;  // semileptonic b (and b -> c -> l) decays
        static constexpr double kBToElectron = 0.11;
        static constexpr double kLightToMuon = 0.004;     // pi/K decays in flight
        static constexpr double kLightToElectron = 0.01;  // conversions, misidentified pions
        static constexpr double kFakeTau = 0.015;
        static constexpr double kPhoton = 0.15;
        static constexpr double kSpread = 0.05;  // angle to the jet axis
        const double eta = p.eta();
        const double phi = p.phi();
        const auto near = [&](double pt, double mass) {
            return FourVector::fromPtEtaPhiM(pt, eta + kSpread * rng_.gaussian(),
                                             phi + kSpread * rng_.gaussian(), mass);
        };
        // The rest of the jet sits around a lepton carrying a fraction z of it.
        const auto isolation = [&](double z) { return (1.0 - z) / z * rng_.uniform(0.3, 1.0); };
        const double to_muon = b_quark ? kBToMuon : kLightToMuon;
        const double to_electron = b_quark ? kBToElectron : kLightToElectron;
        const double u = rng_.uniform();
        if (u < to_muon + to_electron) {
            const double z = rng_.uniform(0.05, 0.6);
            if (b_quark) invisible(near(z * rng_.uniform(0.3, 1.0) * reco_pt, 0.0));
            if (u < to_muon)
                muon(near(z * reco_pt, kMuonMass), rng_.sign(), Origin::NonPrompt, isolation(z));
            else
                electron(near(z * reco_pt, kElectronMass), rng_.sign(), Origin::NonPrompt,
                         isolation(z));
        }
        if (!b_quark && rng_.bernoulli(kFakeTau)) {
            const double v = rng_.uniform();
            const std::int32_t mode = v < 0.3 ? 0 : v < 0.7 ? 1 : 10;
            const double mass = mode == 0 ? kPionMass : rng_.uniform(0.4, 1.6);
            hadronicTau(near(reco_pt * rng_.uniform(0.5, 0.95), mass), mass, rng_.sign(), mode,
                        false);
        }
        if (rng_.bernoulli(kPhoton)) {
            const double z = rng_.uniform(0.05, 0.5);
            const FourVector g = near(z * reco_pt, 0.0);
            if (z * reco_pt >= kPhotonPtMin && std::abs(g.eta()) < kPhotonEtaMax)
                ev_.photons.push_back({static_cast<float>(g.pt()), static_cast<float>(g.eta()),
                                       static_cast<float>(g.phi()), 0.0f,
                                       static_cast<float>(isolation(z))});
        }
    }

    // Soft jets from pileup (mostly failing the pileup ID), the unclustered energy of all
    // interactions in sumet, and the MET resolution it brings.
    void pileupAndSoftTerm() {
        static constexpr double kJetsPerInteraction = 0.03;
        static constexpr double kJetPtMax = 120.0;
        static constexpr double kJetIndex = 4.5;
        static constexpr double kBaseSoftEt = 60.0;  // underlying event, GeV
        static constexpr double kSoftEtPerInteraction = 10.0;
        static constexpr double kMetResolution = 0.9;  // sigma per component, sqrt(GeV)
        const int n = rng_.poisson(kJetsPerInteraction * ev_.pileup);
        for (int i = 0; i < n; ++i) {
            Jet j;
            const double pt = samplePowerLaw(rng_, kJetPtMin, kJetPtMax, kJetIndex);
            j.pt = static_cast<float>(pt);
            j.eta = static_cast<float>(rng_.uniform(-kJetEtaMax, kJetEtaMax));
            j.phi = static_cast<float>(rng_.phi());
            j.mass = static_cast<float>(pt * rng_.uniform(0.05, 0.2));
            j.btag = static_cast<float>(bTag(false, std::abs(j.eta)));
            const double u = rng_.uniform();
            j.pu_id = u < 0.80 ? 0 : u < 0.92 ? 4 : u < 0.97 ? 6 : 7;
            ev_.jets.push_back(j);
            ev_.sumet += pt;
        }
        const double soft = std::max(
            0.0, kBaseSoftEt + kSoftEtPerInteraction * ev_.pileup +
                     rng_.gaussian(0.0, kSoftEtPerInteraction * std::sqrt(ev_.pileup + 1.0)));
        ev_.sumet += soft;
        const double sigma = kMetResolution * std::sqrt(soft);
        ev_.met_x += rng_.gaussian(0.0, sigma);
        ev_.met_y += rng_.gaussian(0.0, sigma);
    }

    void finish() {
        const auto by_pt = [](const auto& a, const auto& b) { return a.pt > b.pt; };
        std::sort(ev_.muons.begin(), ev_.muons.end(), by_pt);
        std::sort(ev_.electrons.begin(), ev_.electrons.end(), by_pt);
        std::sort(ev_.taus.begin(), ev_.taus.end(), by_pt);
        std::sort(ev_.photons.begin(), ev_.photons.end(), by_pt);
        std::sort(ev_.jets.begin(), ev_.jets.end(), by_pt);
        for (const auto& m : ev_.muons) {
            const double online_pt = m.pt * (1.0 + kTriggerPtResolution * rng_.gaussian());
            if (online_pt > kTriggerPt && m.pf_rel_iso04 < kTriggerIsolation &&
                rng_.bernoulli(kTriggerEfficiency)) {
                ev_.trigger = true;
                break;
            }
        }
    }

    Rng& rng_;
    EventRecord& ev_;
};

// ---------------------------------------------------------------- chunk -> columns

// One collection of a chunk: all objects end to end plus the n+1 offsets.
template <class Object>
struct CollectionData {
    std::vector<Object> objects;
    frame::Offsets offsets{0};

    void add(const std::vector<Object>& event_objects) {
        objects.insert(objects.end(), event_objects.begin(), event_objects.end());
        offsets.push_back(static_cast<std::int64_t>(objects.size()));
    }
};

template <class T>
Column flatColumn(const std::vector<T>& values) {
    Column column(frame::dtypeOf<T>());
    column.bytes().resize(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(column.bytes().data(), values.data(), column.bytes().size());
    return column;
}

template <class Object, class T>
Column memberColumn(const CollectionData<Object>& data, T Object::*member) {
    Column column(frame::dtypeOf<T>(), 1);
    column.offsets(0) = data.offsets;
    column.bytes().resize(data.objects.size() * sizeof(T));
    auto out = column.values<T>();
    for (std::size_t i = 0; i < data.objects.size(); ++i) out[i] = data.objects[i].*member;
    return column;
}

template <class Object>
Column counterColumn(const CollectionData<Object>& data) {
    std::vector<std::uint32_t> counts(data.offsets.size() - 1);
    for (std::size_t i = 0; i < counts.size(); ++i)
        counts[i] = static_cast<std::uint32_t>(data.offsets[i + 1] - data.offsets[i]);
    return flatColumn(counts);
}

struct ChunkData {
    std::vector<std::uint32_t> run, lumi;
    std::vector<std::uint64_t> event;
    std::vector<bool> trigger;
    std::vector<std::int32_t> vertices;
    std::vector<float> met_pt, met_phi, met_sumet;
    std::vector<std::int32_t> process;
    CollectionData<Lepton> muons, electrons;
    CollectionData<Tau> taus;
    CollectionData<Photon> photons;
    CollectionData<Jet> jets;

    void add(const EventRecord& ev, std::int64_t global_index, Process p) {
        run.push_back(kFirstRun +
                      static_cast<std::uint32_t>(global_index / (kEventsPerLumi * kLumisPerRun)));
        lumi.push_back(1 +
                       static_cast<std::uint32_t>((global_index / kEventsPerLumi) % kLumisPerRun));
        event.push_back(static_cast<std::uint64_t>(global_index) + 1);
        trigger.push_back(ev.trigger);
        vertices.push_back(ev.vertices);
        met_pt.push_back(static_cast<float>(std::hypot(ev.met_x, ev.met_y)));
        met_phi.push_back(static_cast<float>(std::atan2(ev.met_y, ev.met_x)));
        met_sumet.push_back(static_cast<float>(ev.sumet));
        process.push_back(static_cast<std::int32_t>(p));
        muons.add(ev.muons);
        electrons.add(ev.electrons);
        taus.add(ev.taus);
        photons.add(ev.photons);
        jets.add(ev.jets);
    }
};

// Calls f(name, the chunk's collection, fields, extra fields) for every collection in branch
// order: one list keeps the specs and the columns in step.
template <class F>
void forEachCollection(F&& f) {
    f("Muon", &ChunkData::muons, kLeptonFields, std::tuple{});
    f("Electron", &ChunkData::electrons, kLeptonFields, kElectronExtraFields);
    f("Tau", &ChunkData::taus, kTauFields, std::tuple{});
    f("Photon", &ChunkData::photons, kPhotonFields, std::tuple{});
    f("Jet", &ChunkData::jets, kJetFields, std::tuple{});
}

Column boolColumn(const std::vector<bool>& values) {
    Column column(DType::Bool);
    column.bytes().resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        column.bytes()[i] = static_cast<std::byte>(values[i] ? 1 : 0);
    return column;
}

}  // namespace

// ---------------------------------------------------------------- NanoAodGenerator

NanoAodGenerator::NanoAodGenerator(NanoAodGeneratorOptions options) : options_(options) {
    const auto& f = options_.fractions;
    const std::array<double, 4> weights = {f.drell_yan, f.w, f.ttbar, f.qcd};
    double total = 0.0;
    for (double w : weights) {
        if (!(w >= 0.0) || !std::isfinite(w))
            throw UsageError(fmt::format(
                "process fractions must be finite and >= 0 (got DY {}, W {}, ttbar {}, QCD {})",
                f.drell_yan, f.w, f.ttbar, f.qcd));
        total += w;
    }
    if (!(total > 0.0)) throw UsageError("process fractions sum to zero");
    double sum = 0.0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        sum += weights[i];
        cumulative_[i] = sum / total;
    }
    cumulative_.back() = 1.0;  // no rounding gap above the last process
}

std::vector<root::BranchSpec> NanoAodGenerator::branchSpecs() const {
    std::vector<root::BranchSpec> specs = {
        flatSpec("run", DType::UInt32),      flatSpec("luminosityBlock", DType::UInt32),
        flatSpec("event", DType::UInt64),    flatSpec("HLT_IsoMu24", DType::Bool),
        flatSpec("PV_npvs", DType::Int32),   flatSpec("MET_pt", DType::Float32),
        flatSpec("MET_phi", DType::Float32), flatSpec("MET_sumet", DType::Float32),
    };
    if (options_.process_branch) specs.push_back(flatSpec("Generator_process", DType::Int32));
    forEachCollection(
        [&](const std::string& collection, auto, const auto& fields, const auto& extra) {
            const std::string counter = "n" + collection;
            specs.push_back(flatSpec(counter, DType::UInt32));
            const auto spec = [&](const auto& each) {
                root::BranchSpec s = flatSpec(collection + "_" + each.name, fieldType(each));
                s.levels = 1;
                s.counter = counter;
                specs.push_back(std::move(s));
            };
            forEachField(fields, spec);
            forEachField(extra, spec);
        });
    return specs;
}

frame::ColumnBatch NanoAodGenerator::generateChunk(std::int64_t chunk_index,
                                                   std::int64_t num_events) const {
    return generateChunk(chunk_index, num_events, nullptr);
}

frame::ColumnBatch NanoAodGenerator::generateChunk(std::int64_t chunk_index,
                                                   std::int64_t num_events,
                                                   std::uint64_t* random_draws) const {
    if (chunk_index < 0 ||
        chunk_index > std::numeric_limits<std::int64_t>::max() / kNanoAodChunkEvents - 1)
        throw UsageError(fmt::format("chunk index {} out of range", chunk_index));
    if (num_events < 1 || num_events > kNanoAodChunkEvents)
        throw UsageError(
            fmt::format("a chunk holds 1 to {} events, not {}", kNanoAodChunkEvents, num_events));
    Rng rng(options_.seed, static_cast<std::uint64_t>(chunk_index));
    const std::int64_t first = chunk_index * kNanoAodChunkEvents;
    ChunkData data;
    EventRecord record;
    EventGenerator generator(rng, record);
    for (std::int64_t i = 0; i < num_events; ++i) {
        const double u = rng.uniform();
        const Process process = u < cumulative_[0]   ? Process::DrellYan
                                : u < cumulative_[1] ? Process::W
                                : u < cumulative_[2] ? Process::TTbar
                                                     : Process::Qcd;
        generator.generate(process);
        data.add(record, first + i, process);
    }
    if (random_draws != nullptr) *random_draws += rng.draws();

    ColumnBatch batch;
    batch.first_entry = first;
    batch.num_entries = num_events;
    auto& columns = batch.columns;
    columns.emplace_back("run", flatColumn(data.run));
    columns.emplace_back("luminosityBlock", flatColumn(data.lumi));
    columns.emplace_back("event", flatColumn(data.event));
    columns.emplace_back("HLT_IsoMu24", boolColumn(data.trigger));
    columns.emplace_back("PV_npvs", flatColumn(data.vertices));
    columns.emplace_back("MET_pt", flatColumn(data.met_pt));
    columns.emplace_back("MET_phi", flatColumn(data.met_phi));
    columns.emplace_back("MET_sumet", flatColumn(data.met_sumet));
    if (options_.process_branch)
        columns.emplace_back("Generator_process", flatColumn(data.process));
    forEachCollection(
        [&](const std::string& name, auto member, const auto& fields, const auto& extra) {
            const auto& collection = data.*member;
            columns.emplace_back("n" + name, counterColumn(collection));
            const auto add = [&](const auto& each) {
                columns.emplace_back(name + "_" + each.name, memberColumn(collection, each.member));
            };
            forEachField(fields, add);
            forEachField(extra, add);
        });
    return batch;
}

}  // namespace hepflow::physics
