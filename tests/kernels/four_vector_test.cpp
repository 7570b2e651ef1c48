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
    EXPECT_EQ(mass.offsets(0), (frame::Offsets{0, 3, 3}));
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
    EXPECT_EQ(out.offsets(0), (frame::Offsets{0, 2, 3, 3}));
    const auto values = out.values<double>();
    const double eta_b = static_cast<double>(0.1f);
    // Object (0, 3.0) vs (0.1, -3.0): deltaPhi = 6 - 2 pi, not 6.
    const double to_first = std::hypot(0.0 - eta_b, 6.0 - 2 * kPi);
    const double to_second = std::hypot(0.0 - 1.0, 3.0 - 0.5);
    EXPECT_NEAR(values[0], std::min(to_first, to_second), 1e-12);
    EXPECT_NEAR(values[1], std::min(std::hypot(1.0 - eta_b, 0.0 + 3.0), 0.5), 1e-12);
    EXPECT_EQ(values[2], std::numeric_limits<double>::infinity());
}

// Brute-force reference: deltaPhi wrapped with remainder(), the textbook definition.
std::vector<double> referenceMinDeltaR(const std::vector<std::vector<double>>& eta1,
                                       const std::vector<std::vector<double>>& phi1,
                                       const std::vector<std::vector<double>>& eta2,
                                       const std::vector<std::vector<double>>& phi2) {
    std::vector<double> out;
    for (std::size_t e = 0; e < eta1.size(); ++e)
        for (std::size_t i = 0; i < eta1[e].size(); ++i) {
            double best = std::numeric_limits<double>::infinity();
            for (std::size_t j = 0; j < eta2[e].size(); ++j)
                best = std::min(best, std::hypot(eta1[e][i] - eta2[e][j],
                                                 std::remainder(phi1[e][i] - phi2[e][j], 2 * kPi)));
            out.push_back(best);
        }
    return out;
}

template <class T>
std::vector<std::vector<T>> convert(const std::vector<std::vector<double>>& in) {
    std::vector<std::vector<T>> out;
    for (const auto& event : in) out.emplace_back(event.begin(), event.end());
    return out;
}

TEST(MinDeltaR, TypedPathsMatchReference) {
    // Event 1 has more objects in the second collection than fit the per-event stage; phi
    // differences beyond 3 pi (unnormalised phi) must still wrap.
    std::vector<std::vector<double>> eta1 = {{0.5, -1.0}, {0.0, 2.0, -2.0}, {}, {1.0}};
    std::vector<std::vector<double>> phi1 = {{3.1, -3.1}, {0.3, 12.0, -1.0}, {}, {-20.0}};
    std::vector<std::vector<double>> eta2 = {{0.4}, {}, {1.0}, {0.9, -0.5}};
    std::vector<std::vector<double>> phi2 = {{-3.1}, {}, {0.0}, {1.2, 9.0}};
    for (int j = 0; j < 40; ++j) {
        eta2[1].push_back(-2.5 + 0.125 * j);
        phi2[1].push_back(-3.0 + 0.15 * j);
    }
    const std::vector<double> expected = referenceMinDeltaR(eta1, phi1, eta2, phi2);
    const auto check = [&](const Column& out, double tolerance) {
        EXPECT_EQ(out.offsets(0), (frame::Offsets{0, 2, 5, 5, 6}));
        const auto values = out.values<double>();
        ASSERT_EQ(values.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i)
            EXPECT_NEAR(values[i], expected[i], tolerance) << "object " << i;
    };
    check(minDeltaR(jagged<double>(eta1), jagged<double>(phi1), jagged<double>(eta2),
                    jagged<double>(phi2)),
          1e-12);
    // Float32 inputs, sliced so that offsets do not start at 0.
    auto prefixed = [](std::vector<std::vector<double>> events) {
        events.insert(events.begin(), std::vector<double>{7.0, 8.0});
        return events;
    };
    const auto eta1_f = convert<float>(prefixed(eta1));
    const auto phi1_f = convert<float>(prefixed(phi1));
    const auto eta2_f = convert<float>(eta2);
    const auto phi2_f = convert<float>(phi2);
    check(minDeltaR(sliced(jagged<float>(eta1_f)), sliced(jagged<float>(phi1_f)),
                    jagged<float>(eta2_f), jagged<float>(phi2_f)),
          1e-5);
    check(minDeltaR(jagged<double>(eta1), jagged<double>(phi1), jagged<float>(eta2_f),
                    jagged<float>(phi2_f)),
          1e-5);
    // Integer columns are widened.
    const std::vector<std::vector<std::int32_t>> ints = {{0, 1}, {1, 2, 3}, {}, {4}};
    const std::vector<std::vector<std::int32_t>> ints2 = {{1}, {}, {0}, {2, 0}};
    const Column out = minDeltaR(jagged<std::int32_t>(ints), jagged<std::int32_t>(ints),
                                 jagged<std::int32_t>(ints2), jagged<std::int32_t>(ints2));
    const auto values = out.values<double>();
    EXPECT_NEAR(values[0], std::hypot(1.0, 1.0), 1e-12);
    EXPECT_EQ(values[2], std::numeric_limits<double>::infinity());
    // (4, 4) vs (2, 2) and (0, 0): the second is 4 away in eta (deltaPhi 2 pi - 4).
    EXPECT_NEAR(values[5], std::hypot(2.0, 2.0), 1e-12);
}

TEST(MinDeltaR, MaskOfTheSecondCollection) {
    // Events with few objects (staged) and one with 40 (the direct path); the mask drops some
    // of each, all of event 2's, and the result equals minDeltaR against the masked copies.
    std::vector<std::vector<double>> eta1 = {{0.5, -1.0}, {0.0, 1.0, 2.0}, {0.3}, {3.0}};
    std::vector<std::vector<double>> phi1 = {{0.1, 3.0}, {-3.1, 0.0, 1.5}, {0.0}, {2.0}};
    std::vector<std::vector<double>> eta2 = {{0.4, 0.6}, {}, {0.3}, {0.9, -0.5, 3.0}};
    std::vector<std::vector<double>> phi2 = {{0.1, -3.1}, {}, {0.0}, {1.2, 9.0, 2.0}};
    std::vector<std::vector<bool>> keep = {{false, true}, {}, {false}, {true, true, false}};
    for (int j = 0; j < 40; ++j) {
        eta2[1].push_back(-2.5 + 0.125 * j);
        phi2[1].push_back(-3.0 + 0.15 * j);
        keep[1].push_back(j % 3 == 0);
    }
    const Column mask = jagged<bool>(keep);
    const Column with_mask = minDeltaR(jagged<double>(eta1), jagged<double>(phi1),
                                       jagged<double>(eta2), jagged<double>(phi2), &mask);
    const Column masked_first =
        minDeltaR(jagged<double>(eta1), jagged<double>(phi1),
                  maskObjects(jagged<double>(eta2), mask), maskObjects(jagged<double>(phi2), mask));
    const auto a = with_mask.values<double>();
    const auto b = masked_first.values<double>();
    ASSERT_EQ(a.size(), 7u);
    ASSERT_EQ(b.size(), 7u);
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "object " << i;
    EXPECT_EQ(a[5], std::numeric_limits<double>::infinity());  // event 2: every object masked
    // object 0, (0.5, 0.1), sees only (0.6, -3.1): deltaPhi wraps to 2 pi - 3.2
    EXPECT_NEAR(a[0], std::hypot(0.1, 2 * std::numbers::pi - 3.2), 1e-12);
    // A mask of another shape is an error.
    const Column short_mask = jagged<bool>({{true}, {}, {true}, {true}});
    EXPECT_THROW(minDeltaR(jagged<double>(eta1), jagged<double>(phi1), jagged<double>(eta2),
                           jagged<double>(phi2), &short_mask),
                 UsageError);
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
