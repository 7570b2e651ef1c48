// Tests of the four-vector kernels against hand-computed physics: the Z from two back-to-back
// muons, massless and massive pair masses, sums over collections, combination members and
// minimum deltaR with phi wrapping, plus shape errors.
#include <cmath>
#include <limits>
#include <numbers>

#include <gtest/gtest.h>

#include "column_builders.h"
#include "common/error.h"
#include "frame/kernels/jagged_kernels.h"

namespace hepflow::frame::kernels {
namespace {

using namespace hepflow::frame::testing;
using F64 = std::vector<double>;
constexpr double kPi = std::numbers::pi;

struct Collection {
    Column pt, eta, phi, mass;
    FourVectorColumns fields(bool massive = true) const {
        return {&pt, &eta, &phi, massive ? &mass : nullptr};
    }
};

Collection collection(const std::vector<F64>& pt, const std::vector<F64>& eta,
                      const std::vector<F64>& phi, const std::vector<F64>& mass) {
    return {jagged<double>(pt), jagged<double>(eta), jagged<double>(phi), jagged<double>(mass)};
}

// Invariant mass of two massless objects: m^2 = 2 pt1 pt2 (cosh(deta) - cos(dphi)).
double masslessPairMass(double pt1, double eta1, double phi1, double pt2, double eta2,
                        double phi2) {
    return std::sqrt(2 * pt1 * pt2 * (std::cosh(eta1 - eta2) - std::cos(phi1 - phi2)));
}

TEST(SumObjects, BackToBackMuonsMakeAZ) {
    const Collection muons =
        collection({{45.6, 45.6}, {}}, {{0, 0}, {}}, {{0, kPi}, {}}, {{0, 0}, {}});
    const auto mass = flatValues<double>(sumObjects(muons.fields(), FourVectorPart::Mass));
    EXPECT_NEAR(mass[0], 91.2, 1e-9);
    EXPECT_EQ(mass[1], 0.0);  // empty event
    const auto pt = flatValues<double>(sumObjects(muons.fields(false), FourVectorPart::Pt));
    EXPECT_NEAR(pt[0], 0.0, 1e-9);
    EXPECT_EQ(pt[1], 0.0);
    const auto eta = flatValues<double>(sumObjects(muons.fields(), FourVectorPart::Eta));
    EXPECT_EQ(eta[0], 0.0);
    EXPECT_EQ(eta[1], 0.0);
    EXPECT_EQ(flatValues<double>(sumObjects(muons.fields(), FourVectorPart::Phi))[1], 0.0);
}

TEST(SumObjects, MasslessPairAgainstTheClosedForm) {
    const Collection pair = collection({{30, 20}}, {{0.5, -1.2}}, {{0.3, 2.5}}, {{0, 0}});
    const double expected = masslessPairMass(30, 0.5, 0.3, 20, -1.2, 2.5);
    EXPECT_NEAR(flatValues<double>(sumObjects(pair.fields(false), FourVectorPart::Mass))[0],
                expected, 1e-9);
}

TEST(SumObjects, MassivePartsFromComponents) {
    // Three objects; expected values from explicit px, py, pz, E.
    const F64 pt = {50, 30, 10}, eta = {1.0, -0.5, 2.0}, phi = {0.1, -2.0, 3.0},
              m = {4.8, 0.105, 0};
    double px = 0, py = 0, pz = 0, e = 0;
    for (int i = 0; i < 3; ++i) {
        const double p_x = pt[i] * std::cos(phi[i]);
        const double p_y = pt[i] * std::sin(phi[i]);
        const double p_z = pt[i] * std::sinh(eta[i]);
        px += p_x;
        py += p_y;
        pz += p_z;
        e += std::sqrt(p_x * p_x + p_y * p_y + p_z * p_z + m[i] * m[i]);
    }
    // Float32 pt and a sliced layout exercise the widening and offsets paths.
    Column pt_column = sliced(jagged<float>({{1.f}, {50.f, 30.f, 10.f}}));
    const Column eta_column = jagged<double>({eta});
    const Column phi_column = sliced(jagged<double>({{7, 7}, phi}));
    const Column m_column = jagged<double>({m});
    const FourVectorColumns fields{&pt_column, &eta_column, &phi_column, &m_column};
    const double sum_pt = std::hypot(px, py);
    // pt of 30 and 10 is exact in float.
    EXPECT_NEAR(flatValues<double>(sumObjects(fields, FourVectorPart::Mass))[0],
                std::sqrt(e * e - px * px - py * py - pz * pz), 1e-9);
    EXPECT_NEAR(flatValues<double>(sumObjects(fields, FourVectorPart::Pt))[0], sum_pt, 1e-9);
    EXPECT_NEAR(flatValues<double>(sumObjects(fields, FourVectorPart::Eta))[0],
                std::asinh(pz / sum_pt), 1e-12);
    EXPECT_NEAR(flatValues<double>(sumObjects(fields, FourVectorPart::Phi))[0], std::atan2(py, px),
                1e-12);
}

TEST(SumObjects, MismatchedFieldsAreUsageErrors) {
    const Column pt = jagged<double>({{1, 2}});
    const Column eta = jagged<double>({{1}});
    const Column phi = jagged<double>({{1, 2}});
    EXPECT_THROW(sumObjects({&pt, &eta, &phi, nullptr}, FourVectorPart::Mass), UsageError);
    EXPECT_THROW(sumObjects({&pt, nullptr, &phi, nullptr}, FourVectorPart::Mass), UsageError);
    const Column flat_pt = flat<double>({1});
    EXPECT_THROW(sumObjects({&flat_pt, &flat_pt, &flat_pt, nullptr}, FourVectorPart::Mass),
                 UsageError);
}

TEST(SumMembers, PairMassesThroughCombinationsAndGather) {
    // Event 0: three muons -> pairs (0,1), (0,2), (1,2); event 1: one muon -> none.
    const Collection muons = collection({{45.6, 45.6, 20}, {10}}, {{0, 0, 1}, {0}},
                                        {{0, kPi, 1}, {0}}, {{0, 0, 0}, {0}});
    const Combinations pairs = combinations(muons.pt.offsets(0), 2);
    std::vector<Collection> members;
    for (const Column& positions : pairs.members)
        members.push_back({gather(muons.pt, positions), gather(muons.eta, positions),
                           gather(muons.phi, positions), gather(muons.mass, positions)});
    const std::vector<FourVectorColumns> fields = {members[0].fields(), members[1].fields()};
    const Column mass = sumMembers(fields, FourVectorPart::Mass);
    EXPECT_EQ(mass.offsets(0), (std::vector<std::int64_t>{0, 3, 3}));
    const auto values = mass.values<double>();
    EXPECT_NEAR(values[0], 91.2, 1e-9);
    EXPECT_NEAR(values[1], masslessPairMass(45.6, 0, 0, 20, 1, 1), 1e-9);
    EXPECT_NEAR(values[2], masslessPairMass(45.6, 0, kPi, 20, 1, 1), 1e-9);
}

TEST(SumMembers, FlatMembersAndErrors) {
    const Column pt1 = flat<double>({45.6}), pt2 = flat<double>({45.6});
    const Column eta = flat<double>({0}), phi1 = flat<double>({0}), phi2 = flat<double>({kPi});
    const std::vector<FourVectorColumns> fields = {{&pt1, &eta, &phi1, nullptr},
                                                   {&pt2, &eta, &phi2, nullptr}};
    EXPECT_NEAR(flatValues<double>(sumMembers(fields, FourVectorPart::Mass))[0], 91.2, 1e-9);
    const Column longer = flat<double>({1, 2});
    const std::vector<FourVectorColumns> bad = {{&pt1, &eta, &phi1, nullptr},
                                                {&longer, &longer, &longer, nullptr}};
    EXPECT_THROW(sumMembers(bad, FourVectorPart::Mass), UsageError);
    EXPECT_THROW(sumMembers({}, FourVectorPart::Mass), UsageError);
}

TEST(MinDeltaR, WrapsPhiAndGivesInfWhenEmpty) {
    const Column eta1 = sliced(jagged<double>({{9}, {0.0, 1.0}, {0.5}, {}}));
    const Column phi1 = jagged<double>({{3.0, 0.0}, {0.2}, {}});
    const Column eta2 = jagged<float>({{0.1f, 1.0f}, {}, {2.0f}});
    const Column phi2 = jagged<double>({{-3.0, 0.5}, {}, {0}});
    const Column out = minDeltaR(eta1, phi1, eta2, phi2);
    EXPECT_EQ(out.offsets(0), (std::vector<std::int64_t>{0, 2, 3, 3}));
    const auto values = out.values<double>();
    const double eta_b = static_cast<double>(0.1f);
    // Object (0, 3.0) vs (0.1, -3.0): deltaPhi = 6 - 2 pi, not 6.
    const double to_first = std::hypot(0.0 - eta_b, 6.0 - 2 * kPi);
    const double to_second = std::hypot(0.0 - 1.0, 3.0 - 0.5);
    EXPECT_NEAR(values[0], std::min(to_first, to_second), 1e-12);
    EXPECT_NEAR(values[1], std::min(std::hypot(1.0 - eta_b, 0.0 + 3.0), 0.5), 1e-12);
    EXPECT_EQ(values[2], std::numeric_limits<double>::infinity());
}

TEST(MinDeltaR, MismatchedShapes) {
    const Column a = jagged<double>({{1}, {2}});
    const Column b = jagged<double>({{1}});
    EXPECT_THROW(minDeltaR(a, a, b, b), UsageError);
    EXPECT_THROW(minDeltaR(a, jagged<double>({{1, 2}, {3}}), a, a), UsageError);
    EXPECT_THROW(minDeltaR(flat<double>({1}), flat<double>({1}), a, a), UsageError);
}

}  // namespace
}  // namespace hepflow::frame::kernels
