// Random NanoAOD-like events (jets, muons, electrons, MET) from a fixed-seed generator, as raw
// arrays and as a ColumnBatch, plus hand-written C++ loops computing the 8 standard patterns of
// docs/expressions.md straight from the arrays. Shared by the expression tests (as the
// independent reference) and bench/expr_bench.cpp (as the baseline).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "frame/columns/column.h"
#include "frame/expr/expression.h"

namespace hepflow::frame::expr::testing {

template <class T>
Column flatColumn(const std::vector<T>& values) {
    Column c(dtypeOf<T>());
    c.bytes().resize(values.size() * sizeof(T));
    if constexpr (std::is_same_v<T, bool>) {
        for (std::size_t i = 0; i < values.size(); ++i)
            c.bytes()[i] = static_cast<std::byte>(values[i] ? 1 : 0);
    } else if (!values.empty()) {
        std::memcpy(c.bytes().data(), values.data(), values.size() * sizeof(T));
    }
    return c;
}

// A column's outer offsets as a plain vector, to compare with the reference loops' results.
inline std::vector<std::int64_t> offsetsOf(const Column& c) {
    return {c.offsets(0).begin(), c.offsets(0).end()};
}

template <class T>
Column jaggedColumn(const std::vector<std::int64_t>& offsets, const std::vector<T>& values) {
    Column c = flatColumn(values);
    Column out(dtypeOf<T>(), 1);
    out.offsets(0).assign(offsets.begin(), offsets.end());
    out.bytes() = std::move(c.bytes());
    return out;
}

inline Schema schemaOf(const ColumnBatch& batch) {
    Schema schema;
    for (const auto& [name, column] : batch.columns)
        schema.columns.push_back({name, {column.dtype(), column.levels()}});
    return schema;
}

// One collection's arrays: offsets plus its fields.
struct Objects {
    std::vector<std::int64_t> offsets{0};
    std::vector<float> pt, eta, phi, mass, btag;
    std::vector<std::int32_t> charge;
    std::size_t count(std::size_t event) const {
        return static_cast<std::size_t>(offsets[event + 1] - offsets[event]);
    }
};

struct NanoEvents {
    std::size_t num_events = 0;
    std::vector<float> met_pt, met_phi;
    Objects jet, muon, electron;
};

inline NanoEvents makeEvents(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> eta(-4.f, 4.f);
    std::uniform_real_distribution<float> phi(-std::numbers::pi_v<float>,
                                              std::numbers::pi_v<float>);
    std::exponential_distribution<float> falling(1.f / 40.f);
    std::uniform_real_distribution<float> unit(0.f, 1.f);
    NanoEvents ev;
    ev.num_events = n;
    auto fill = [&](Objects& o, int max_count, float min_pt, float mass, bool jets) {
        std::uniform_int_distribution<int> count(0, max_count);
        for (std::size_t e = 0; e < n; ++e) {
            const int k = count(rng);
            for (int i = 0; i < k; ++i) {
                o.pt.push_back(min_pt + falling(rng));
                o.eta.push_back(eta(rng));
                o.phi.push_back(phi(rng));
                o.mass.push_back(jets ? 2.f + 20.f * unit(rng) : mass);
                o.btag.push_back(unit(rng));
                o.charge.push_back(unit(rng) < 0.5f ? -1 : 1);
            }
            o.offsets.push_back(static_cast<std::int64_t>(o.pt.size()));
        }
    };
    fill(ev.jet, 8, 15.f, 0.f, true);
    fill(ev.muon, 3, 3.f, 0.1057f, false);
    fill(ev.electron, 3, 5.f, 0.000511f, false);
    for (std::size_t e = 0; e < n; ++e) {
        ev.met_pt.push_back(falling(rng));
        ev.met_phi.push_back(phi(rng));
    }
    return ev;
}

inline ColumnBatch toBatch(const NanoEvents& ev) {
    ColumnBatch batch;
    batch.num_entries = static_cast<std::int64_t>(ev.num_events);
    batch.columns.emplace_back("MET_pt", flatColumn(ev.met_pt));
    batch.columns.emplace_back("MET_phi", flatColumn(ev.met_phi));
    auto add = [&](const std::string& name, const Objects& o, bool jets) {
        std::vector<std::uint32_t> counts;
        for (std::size_t e = 0; e < ev.num_events; ++e)
            counts.push_back(static_cast<std::uint32_t>(o.count(e)));
        batch.columns.emplace_back("n" + name, flatColumn(counts));
        batch.columns.emplace_back(name + "_pt", jaggedColumn(o.offsets, o.pt));
        batch.columns.emplace_back(name + "_eta", jaggedColumn(o.offsets, o.eta));
        batch.columns.emplace_back(name + "_phi", jaggedColumn(o.offsets, o.phi));
        batch.columns.emplace_back(name + "_mass", jaggedColumn(o.offsets, o.mass));
        if (jets)
            batch.columns.emplace_back(name + "_btag", jaggedColumn(o.offsets, o.btag));
        else
            batch.columns.emplace_back(name + "_charge", jaggedColumn(o.offsets, o.charge));
    };
    add("Jet", ev.jet, true);
    add("Muon", ev.muon, false);
    add("Electron", ev.electron, false);
    return batch;
}

// ---- the reference: plain loops over the arrays ----------------------------------------------

struct P4 {
    double px = 0, py = 0, pz = 0, e = 0;
    void add(double pt, double eta, double phi, double m) {
        const double x = pt * std::cos(phi);
        const double y = pt * std::sin(phi);
        const double z = pt * std::sinh(eta);
        px += x;
        py += y;
        pz += z;
        e += std::sqrt(x * x + y * y + z * z + m * m);
    }
    double mass() const { return std::sqrt(std::max(e * e - (px * px + py * py + pz * pz), 0.0)); }
    double pt() const { return std::hypot(px, py); }
};

inline double refDeltaPhi(double a, double b) {
    const double d = a - b;
    return d - 2 * std::numbers::pi * std::floor((d + std::numbers::pi) / (2 * std::numbers::pi));
}

struct JaggedResult {
    std::vector<std::int64_t> offsets{0};
    std::vector<float> values;
};

// 3. Jet_pt[abs(Jet_eta) < 1]
inline JaggedResult refCentralJetPt(const NanoEvents& ev) {
    JaggedResult r;
    r.offsets.reserve(ev.num_events + 1);
    r.values.reserve(ev.jet.pt.size());
    for (std::size_t e = 0; e < ev.num_events; ++e) {
        for (auto i = ev.jet.offsets[e]; i < ev.jet.offsets[e + 1]; ++i)
            if (std::abs(ev.jet.eta[i]) < 1.f) r.values.push_back(ev.jet.pt[i]);
        r.offsets.push_back(static_cast<std::int64_t>(r.values.size()));
    }
    return r;
}

// 4. count(Jet_pt > 40 && abs(Jet_eta) < 2.4) >= 2
inline std::vector<std::uint8_t> refTwoJets(const NanoEvents& ev) {
    std::vector<std::uint8_t> r(ev.num_events);
    for (std::size_t e = 0; e < ev.num_events; ++e) {
        int n = 0;
        for (auto i = ev.jet.offsets[e]; i < ev.jet.offsets[e + 1]; ++i)
            n += ev.jet.pt[i] > 40.f && std::abs(ev.jet.eta[i]) < 2.4f;
        r[e] = n >= 2;
    }
    return r;
}

// 5. any opposite-charge muon pair with 60 < m < 120
inline std::vector<std::uint8_t> refZMuMu(const NanoEvents& ev) {
    std::vector<std::uint8_t> r(ev.num_events);
    const auto& m = ev.muon;
    for (std::size_t e = 0; e < ev.num_events; ++e) {
        bool found = false;
        for (auto i = m.offsets[e]; i < m.offsets[e + 1] && !found; ++i)
            for (auto j = i + 1; j < m.offsets[e + 1] && !found; ++j) {
                if (m.charge[i] == m.charge[j]) continue;
                P4 p;
                p.add(m.pt[i], m.eta[i], m.phi[i], m.mass[i]);
                p.add(m.pt[j], m.eta[j], m.phi[j], m.mass[j]);
                const double mass = p.mass();
                found = mass > 60 && mass < 120;
            }
        r[e] = found;
    }
    return r;
}

// 6. the trijet closest to the top mass: its pT and its largest b-tag (NaN without 3 jets)
struct TrijetResult {
    std::vector<double> pt;
    std::vector<float> btag;
};
inline TrijetResult refTrijet(const NanoEvents& ev) {
    TrijetResult r;
    r.pt.resize(ev.num_events);
    r.btag.resize(ev.num_events);
    const auto& j = ev.jet;
    for (std::size_t e = 0; e < ev.num_events; ++e) {
        double best = std::numeric_limits<double>::infinity();
        double best_pt = std::numeric_limits<double>::quiet_NaN();
        float best_btag = std::numeric_limits<float>::quiet_NaN();
        const auto b = j.offsets[e];
        const auto end = j.offsets[e + 1];
        for (auto x = b; x < end; ++x)
            for (auto y = x + 1; y < end; ++y)
                for (auto z = y + 1; z < end; ++z) {
                    P4 p;
                    p.add(j.pt[x], j.eta[x], j.phi[x], j.mass[x]);
                    p.add(j.pt[y], j.eta[y], j.phi[y], j.mass[y]);
                    p.add(j.pt[z], j.eta[z], j.phi[z], j.mass[z]);
                    const double d = std::abs(p.mass() - 172.5);
                    if (d < best) {
                        best = d;
                        best_pt = p.pt();
                        best_btag = std::max({j.btag[x], j.btag[y], j.btag[z]});
                    }
                }
        r.pt[e] = best_pt;
        r.btag[e] = best_btag;
    }
    return r;
}

// 7. HT of jets with pT > 30 away (dR > 0.4) from muons and electrons with pT > 10
inline std::vector<float> refCleanHt(const NanoEvents& ev) {
    std::vector<float> r(ev.num_events);
    const auto& j = ev.jet;
    auto far = [](const Objects& o, std::size_t e, double eta, double phi) {
        double best = std::numeric_limits<double>::infinity();
        for (auto k = o.offsets[e]; k < o.offsets[e + 1]; ++k) {
            if (!(o.pt[k] > 10.f)) continue;
            const double deta = eta - o.eta[k];
            const double dphi = refDeltaPhi(phi, o.phi[k]);
            best = std::min(best, deta * deta + dphi * dphi);
        }
        return std::sqrt(best) > 0.4;
    };
    for (std::size_t e = 0; e < ev.num_events; ++e) {
        double sum = 0;
        for (auto i = j.offsets[e]; i < j.offsets[e + 1]; ++i)
            if (j.pt[i] > 30.f && far(ev.muon, e, j.eta[i], j.phi[i]) &&
                far(ev.electron, e, j.eta[i], j.phi[i]))
                sum += j.pt[i];
        r[e] = static_cast<float>(sum);
    }
    return r;
}

// 8. mT of MET and the leading lepton outside the best SFOS pair (closest to the Z), >= 3 leptons
inline std::vector<float> refWzMt(const NanoEvents& ev) {
    std::vector<float> r(ev.num_events);
    struct Lepton {
        float pt, eta, phi, mass;
        std::int32_t charge;
        int source;
    };
    std::vector<Lepton> leptons;
    for (std::size_t e = 0; e < ev.num_events; ++e) {
        leptons.clear();
        int source = 0;
        for (const Objects* o : {&ev.electron, &ev.muon}) {
            for (auto k = o->offsets[e]; k < o->offsets[e + 1]; ++k)
                leptons.push_back(
                    {o->pt[k], o->eta[k], o->phi[k], o->mass[k], o->charge[k], source});
            ++source;
        }
        const auto n = leptons.size();
        double best = std::numeric_limits<double>::infinity();
        std::size_t bi = 0, bj = 0;
        bool found = false;
        for (std::size_t a = 0; a < n; ++a)
            for (std::size_t b = a + 1; b < n; ++b) {
                const auto& x = leptons[a];
                const auto& y = leptons[b];
                if (x.source != y.source || x.charge == y.charge) continue;
                P4 p;
                p.add(x.pt, x.eta, x.phi, x.mass);
                p.add(y.pt, y.eta, y.phi, y.mass);
                const double d = std::abs(p.mass() - 91.2);
                if (d < best) {
                    best = d;
                    bi = a;
                    bj = b;
                    found = true;
                }
            }
        float out = std::numeric_limits<float>::quiet_NaN();
        if (n >= 3 && found) {
            float lead_pt = -1.f;
            float lead_phi = 0.f;
            bool any = false;
            for (std::size_t a = 0; a < n; ++a) {
                if (a == bi || a == bj) continue;
                if (!any || leptons[a].pt > lead_pt) {
                    lead_pt = leptons[a].pt;
                    lead_phi = leptons[a].phi;
                    any = true;
                }
            }
            if (any) {
                out = std::sqrt(2 * ev.met_pt[e] * lead_pt *
                                (1 - std::cos(ev.met_phi[e] - lead_phi)));
            }
        }
        r[e] = out;
    }
    return r;
}

// The expressions of the 8 patterns (as in docs/expressions.md).
inline const char* const kPattern1 = "MET_pt";
inline const char* const kPattern2 = "Jet_pt";
inline const char* const kPattern3 = "Jet_pt[abs(Jet_eta) < 1]";
inline const char* const kPattern4 = "count(Jet_pt > 40 && abs(Jet_eta) < 2.4) >= 2";
inline const char* const kPattern5 =
    "any(pairs(Muon, (a, b) -> a.charge != b.charge && mass(a, b) > 60 && mass(a, b) < 120))";
inline const char* const kPattern6Pt =
    "let best = argmin(triplets(Jet, (a, b, c) -> abs(mass(a, b, c) - 172.5))); "
    "triplets(Jet, (a, b, c) -> pt(a, b, c))[best]";
inline const char* const kPattern6Btag =
    "let best = argmin(triplets(Jet, (a, b, c) -> abs(mass(a, b, c) - 172.5))); "
    "triplets(Jet, (a, b, c) -> max(a.btag, b.btag, c.btag))[best]";
inline const char* const kPattern7 =
    "sum(Jet_pt[Jet_pt > 30 && cleaned(Jet, Muon[Muon_pt > 10], 0.4) && "
    "cleaned(Jet, Electron[Electron_pt > 10], 0.4)])";
inline const char* const kPattern8 =
    "let L = concat(Electron, Muon); "
    "let p = argmin(pairs(L, (a, b) -> a.source == b.source && a.charge != b.charge ? "
    "abs(mass(a, b) - 91.2) : nan)); "
    "let i = pairs(L, (a, b) -> a.index)[p]; let j = pairs(L, (a, b) -> b.index)[p]; "
    "let R = L[L.index != i && L.index != j]; "
    "count(L) >= 3 && p >= 0 ? mt(MET_pt, MET_phi, R.pt[argmax(R.pt)], R.phi[argmax(R.pt)]) : nan";

}  // namespace hepflow::frame::expr::testing
