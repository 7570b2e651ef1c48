// Evaluation of every operator and function of the expression language on small hand-built
// batches: flat and jagged columns, empty events, NaN, out-of-range indices, int/float/double
// promotion, collections (masks, concat, pairs/triplets, four-vector sums, cross-cleaning).
#include <array>
#include <cmath>
#include <limits>
#include <thread>

#include <gtest/gtest.h>

#include "common/error.h"
#include "frame/expr/expression.h"
#include "nano_events.h"

namespace hepflow::frame::expr {
namespace {

using testing::flatColumn;
using testing::jaggedColumn;
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Four events; event 1 has no muons, event 2 no jets.
ColumnBatch smallBatch() {
    ColumnBatch b;
    b.first_entry = 100;
    b.num_entries = 4;
    b.columns.emplace_back("MET_pt", flatColumn<float>({10, 20.5f, kNaNf, 40}));
    b.columns.emplace_back("MET_phi", flatColumn<float>({0, 1, 2, -3}));
    b.columns.emplace_back("run", flatColumn<std::uint32_t>({1, 2, 3, 4000000000u}));
    b.columns.emplace_back("small", flatColumn<std::int16_t>({-3, 7, 0, 5}));
    b.columns.emplace_back("weight", flatColumn<double>({0.5, 1, 2, -1}));
    b.columns.emplace_back("pass", flatColumn<bool>({true, false, true, false}));
    const std::vector<std::int64_t> mu = {0, 2, 2, 3, 6};
    b.columns.emplace_back("nMuon", flatColumn<std::int32_t>({2, 0, 1, 3}));
    b.columns.emplace_back("Muon_pt", jaggedColumn<float>(mu, {30, 10, 5, 50, 40, 20}));
    b.columns.emplace_back("Muon_eta",
                           jaggedColumn<float>(mu, {0.5f, -1.5f, 2, 0.1f, 0.2f, -0.3f}));
    b.columns.emplace_back("Muon_phi", jaggedColumn<float>(mu, {0.1f, 3, -3, 1, 2, 3}));
    b.columns.emplace_back("Muon_mass",
                           jaggedColumn<float>(mu, {0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f}));
    b.columns.emplace_back("Muon_charge", jaggedColumn<std::int32_t>(mu, {1, -1, 1, -1, -1, 1}));
    const std::vector<std::int64_t> jet = {0, 1, 4, 4, 6};
    b.columns.emplace_back("nJet", flatColumn<std::int32_t>({1, 3, 0, 2}));
    b.columns.emplace_back("Jet_pt", jaggedColumn<float>(jet, {100, 60, 45, 20, 35, kNaNf}));
    b.columns.emplace_back("Jet_eta", jaggedColumn<float>(jet, {0.45f, -1.5f, 2, 0.1f, 3, 0}));
    b.columns.emplace_back("Jet_phi", jaggedColumn<float>(jet, {0.1f, 3, -3, 1, 2, 0}));
    b.columns.emplace_back("Jet_mass", jaggedColumn<float>(jet, {10, 5, 5, 5, 5, 5}));
    return b;
}

Column run(const std::string& text, const ColumnBatch& batch = smallBatch()) {
    return compile(text, testing::schemaOf(batch)).evaluate(batch);
}

template <class T>
std::vector<T> values(const Column& c) {
    const auto v = c.values<T>();
    return {v.begin(), v.end()};
}
std::vector<bool> bools(const Column& c) {
    std::vector<bool> out;
    for (const auto b : c.values<bool>()) out.push_back(b);
    return out;
}
std::vector<std::int64_t> counts(const Column& c) {
    std::vector<std::int64_t> out;
    for (std::size_t i = 1; i < c.offsets(0).size(); ++i)
        out.push_back(c.offsets(0)[i] - c.offsets(0)[i - 1]);
    return out;
}
// Exact comparison of doubles where NaN equals NaN.
template <class T>
void expectSame(const std::vector<T>& actual, const std::vector<T>& expected,
                const std::string& what, double tolerance = 0) {
    ASSERT_EQ(actual.size(), expected.size()) << what;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        if (std::isnan(static_cast<double>(expected[i])))
            EXPECT_TRUE(std::isnan(static_cast<double>(actual[i]))) << what << " [" << i << "]";
        else if (tolerance > 0)
            EXPECT_NEAR(actual[i], expected[i], tolerance) << what << " [" << i << "]";
        else
            EXPECT_EQ(actual[i], expected[i]) << what << " [" << i << "]";
    }
}

// Every stored integer width becomes the language's Int64 with its value: signed extremes,
// unsigned values past the signed range of their width, per event and per object.
TEST(ExprEval, EveryIntegerWidthWidensExactly) {
    ColumnBatch b;
    b.num_entries = 3;
    b.columns.emplace_back("i8", flatColumn<std::int8_t>({-128, 0, 127}));
    b.columns.emplace_back("u8", flatColumn<std::uint8_t>({0, 200, 255}));
    b.columns.emplace_back("u16", flatColumn<std::uint16_t>({1, 40000, 65535}));
    b.columns.emplace_back("i32", flatColumn<std::int32_t>({-2147483647 - 1, -1, 2147483647}));
    b.columns.emplace_back("u64", flatColumn<std::uint64_t>({0, 5000000000u, 7}));
    b.columns.emplace_back("Obj_q", jaggedColumn<std::int16_t>({0, 2, 2, 3}, {-300, 300, -1}));
    expectSame(values<std::int64_t>(run("i8 + 0", b)), {-128, 0, 127}, "int8");
    expectSame(values<std::int64_t>(run("u8 + 0", b)), {0, 200, 255}, "uint8");
    expectSame(values<std::int64_t>(run("u16 + 0", b)), {1, 40000, 65535}, "uint16");
    expectSame(values<std::int64_t>(run("i32 + 0", b)), {-2147483648LL, -1, 2147483647}, "int32");
    expectSame(values<std::int64_t>(run("u64 + 0", b)), {0, 5000000000LL, 7}, "uint64");
    const Column q = run("Obj_q * 2", b);
    EXPECT_EQ(q.offsets(0), (Offsets{0, 2, 2, 3}));
    expectSame(values<std::int64_t>(q), {-600, 600, -2}, "per-object int16");
}

TEST(ExprEval, FlatColumnsAndConstants) {
    const Column met = run("MET_pt");
    EXPECT_EQ(met.dtype(), DType::Float32);
    expectSame(values<float>(met), {10, 20.5f, kNaNf, 40}, "MET_pt");
    expectSame(values<std::int64_t>(run("run")), {1, 2, 3, 4000000000}, "run");
    expectSame(values<std::int64_t>(run("small")), {-3, 7, 0, 5}, "small");
    expectSame(values<std::int64_t>(run("1 + 2 * 3")), {7, 7, 7, 7}, "constant");
    expectSame(values<double>(run("pi")), std::vector<double>(4, M_PI), "pi");
    EXPECT_EQ(bools(run("true")), std::vector<bool>(4, true));
    expectSame(values<double>(run("inf")), std::vector<double>(4, kInf), "inf");
}

TEST(ExprEval, Arithmetic) {
    expectSame(values<float>(run("MET_pt * 2 + 1")), {21, 42, kNaNf, 81}, "float");
    expectSame(values<float>(run("MET_pt - 0.5")), {9.5f, 20, kNaNf, 39.5f}, "weak literal");
    expectSame(values<double>(run("weight * 3")), {1.5, 3, 6, -3}, "double");
    expectSame(values<std::int64_t>(run("small * 2 - run")), {-7, 12, -3, -3999999990}, "int");
    expectSame(values<double>(run("small / 2")), {-1.5, 3.5, 0, 2.5}, "int / int is double");
    expectSame(values<std::int64_t>(run("small % 4")), {-3, 3, 0, 1}, "int %");
    expectSame(values<std::int64_t>(run("small % 0")), {0, 0, 0, 0}, "int % 0");
    expectSame(values<float>(run("MET_pt % 3")), {1, 2.5f, kNaNf, 1}, "fmod");
    expectSame(values<float>(run("-MET_pt")), {-10, -20.5f, kNaNf, -40}, "negation");
    expectSame(values<std::int64_t>(run("-small")), {3, -7, 0, -5}, "int negation");
    expectSame(values<double>(run("weight / 0")), {kInf, kInf, kInf, -kInf}, "x / 0");
    expectSame(values<std::int64_t>(run("pass + 1")), {2, 1, 2, 1}, "bool + int");
    expectSame(values<float>(run("small * MET_pt")), {-30, 143.5f, kNaNf, 200}, "int * float");
    expectSame(values<double>(run("MET_pt * weight")), {5, 20.5, kNaN, -40}, "float * double");
}

TEST(ExprEval, ComparisonsAndLogic) {
    EXPECT_EQ(bools(run("MET_pt > 15")), (std::vector<bool>{false, true, false, true}));
    EXPECT_EQ(bools(run("MET_pt <= 20.5")), (std::vector<bool>{true, true, false, false}));
    EXPECT_EQ(bools(run("MET_pt != MET_pt")), (std::vector<bool>{false, false, true, false}));
    EXPECT_EQ(bools(run("run == 4000000000")), (std::vector<bool>{false, false, false, true}));
    EXPECT_EQ(bools(run("small >= 0 && pass")), (std::vector<bool>{false, false, true, false}));
    EXPECT_EQ(bools(run("small < 0 or pass")), (std::vector<bool>{true, false, true, false}));
    EXPECT_EQ(bools(run("!pass")), (std::vector<bool>{false, true, false, true}));
    EXPECT_EQ(bools(run("not small")), (std::vector<bool>{false, false, true, false}));
    EXPECT_EQ(bools(run("small && weight")), (std::vector<bool>{true, true, false, true}));
    EXPECT_EQ(bools(run("(MET_pt > 15) == pass")), (std::vector<bool>{false, false, false, false}));
}

TEST(ExprEval, Ternary) {
    expectSame(values<float>(run("pass ? MET_pt : 0")), {10, 0, kNaNf, 0}, "flat");
    expectSame(values<double>(run("small > 0 ? weight : nan")), {kNaN, 1, kNaN, -1}, "nan");
    expectSame(values<float>(run("Muon_pt > 25 ? Muon_pt : MET_pt")), {30, 10, kNaNf, 50, 40, 40},
               "broadcast");
}

TEST(ExprEval, MathFunctions) {
    auto d = [](const char* text) { return values<double>(run(text)); };
    auto f = [](const char* text) { return values<float>(run(text)); };
    expectSame(d("sqrt(small)"), {kNaN, std::sqrt(7.0), 0, std::sqrt(5.0)}, "sqrt int -> double");
    expectSame(f("abs(Muon_eta)"), {0.5f, 1.5f, 2, 0.1f, 0.2f, 0.3f}, "abs float");
    expectSame(d("abs(small)"), {3, 7, 0, 5}, "abs int -> double");
    expectSame(d("exp(weight)"), {std::exp(0.5), std::exp(1.0), std::exp(2.0), std::exp(-1.0)},
               "exp");
    expectSame(d("log(weight)"), {std::log(0.5), 0, std::log(2.0), kNaN}, "log");
    expectSame(d("log10(weight * 50)"), {std::log10(25.0), std::log10(50.0), 2, kNaN}, "log10");
    expectSame(d("pow(weight, 2)"), {0.25, 1, 4, 1}, "pow");
    expectSame(
        d("sin(weight) + cos(weight) + tan(weight)"),
        {std::sin(0.5) + std::cos(0.5) + std::tan(0.5), std::sin(1.) + std::cos(1.) + std::tan(1.),
         std::sin(2.) + std::cos(2.) + std::tan(2.), std::sin(-1.) + std::cos(-1.) + std::tan(-1.)},
        "trig", 1e-12);
    expectSame(d("asin(weight) + acos(weight)"), {M_PI / 2, M_PI / 2, kNaN, M_PI / 2}, "inverse",
               1e-12);
    expectSame(d("atan(weight)"), {std::atan(0.5), std::atan(1.), std::atan(2.), std::atan(-1.)},
               "atan");
    expectSame(d("atan2(weight, 1)"),
               {std::atan2(0.5, 1.), std::atan2(1., 1.), std::atan2(2., 1.), std::atan2(-1., 1.)},
               "atan2");
    expectSame(d("sinh(weight) + cosh(weight) - tanh(weight)"),
               {std::sinh(0.5) + std::cosh(0.5) - std::tanh(0.5),
                std::sinh(1.) + std::cosh(1.) - std::tanh(1.),
                std::sinh(2.) + std::cosh(2.) - std::tanh(2.),
                std::sinh(-1.) + std::cosh(-1.) - std::tanh(-1.)},
               "hyperbolic", 1e-12);
    expectSame(d("hypot(weight, 3)"),
               {std::hypot(0.5, 3.), std::hypot(1., 3.), std::hypot(2., 3.), std::hypot(-1., 3.)},
               "hypot");
    expectSame(d("floor(weight * 1.5) + ceil(weight * 1.5) * 10 + round(weight * 1.25) * 100"),
               {0 + 10 + 100, 1 + 20 + 100, 3 + 30 + 300, -2 - 10 - 100}, "rounding");
    EXPECT_EQ(bools(run("isnan(MET_pt)")), (std::vector<bool>{false, false, true, false}));
    EXPECT_EQ(bools(run("isnan(small)")), (std::vector<bool>{false, false, false, false}));
    expectSame(values<std::int64_t>(run("min(small, 1, run)")), {-3, 1, 0, 1}, "min int");
    expectSame(f("max(MET_pt, 15)"), {15, 20.5f, 15, 40}, "max ignores NaN");
    // deltaPhi wraps into [-pi, pi)
    expectSame(d("deltaPhi(3 * weight, -3 * weight)"),
               {1.0 * 3, 6 - 2 * M_PI, 12 - 4 * M_PI, -6 + 2 * M_PI}, "deltaPhi", 1e-12);
    expectSame(d("deltaR(weight, 0, 0, weight)"),
               {std::sqrt(0.5), std::sqrt(2.0), std::sqrt(8.0), std::sqrt(2.0)}, "deltaR", 1e-12);
    expectSame(f("mt(MET_pt, MET_phi, 10, 0)"),
               {0, std::sqrt(2 * 20.5f * 10 * (1 - std::cos(1.f))), kNaNf,
                std::sqrt(2 * 40.f * 10 * (1 - std::cos(-3.f)))},
               "mt", 1e-4);
}

TEST(ExprEval, JaggedElementwiseAndBroadcast) {
    const Column c = run("Muon_pt * 2 + MET_pt");
    EXPECT_EQ(counts(c), (std::vector<std::int64_t>{2, 0, 1, 3}));
    expectSame(values<float>(c), {70, 30, kNaNf, 140, 120, 80}, "broadcast");
    const Column m = run("Muon_charge * small");
    EXPECT_EQ(m.dtype(), DType::Int64);
    expectSame(values<std::int64_t>(m), {-3, 3, 0, -5, -5, 5}, "int jagged");
    expectSame(values<float>(run("Muon.pt")), {30, 10, 5, 50, 40, 20}, "alias Muon.pt");
}

TEST(ExprEval, Reductions) {
    expectSame(values<float>(run("sum(Muon_pt)")), {40, 0, 5, 110}, "sum float");
    expectSame(values<std::int64_t>(run("sum(Muon_charge)")), {0, 0, 1, -1}, "sum int");
    expectSame(values<std::int64_t>(run("sum(Muon_pt > 15)")), {1, 0, 0, 3}, "sum bool");
    expectSame(values<std::int64_t>(run("count(Muon_pt)")), {2, 0, 1, 3}, "count");
    expectSame(values<std::int64_t>(run("count(Muon_pt > 15)")), {1, 0, 0, 3}, "count true");
    expectSame(values<std::int64_t>(run("count(Muon)")), {2, 0, 1, 3}, "count collection");
    EXPECT_EQ(bools(run("any(Muon_pt > 35)")), (std::vector<bool>{false, false, false, true}));
    EXPECT_EQ(bools(run("all(Muon_pt > 15)")), (std::vector<bool>{false, true, false, true}));
    expectSame(values<float>(run("min(Muon_pt)")), {10, kNaNf, 5, 20}, "min");
    expectSame(values<float>(run("max(Muon_pt)")), {30, kNaNf, 5, 50}, "max");
    expectSame(values<std::int64_t>(run("max(Muon_charge)")), {1, 0, 1, 1}, "max int");
    expectSame(values<double>(run("mean(Muon_pt)")), {20, kNaN, 5, 110.0 / 3}, "mean", 1e-12);
    expectSame(values<std::int64_t>(run("argmin(Muon_pt)")), {1, -1, 0, 2}, "argmin");
    expectSame(values<std::int64_t>(run("argmax(Jet_pt)")), {0, 0, -1, 0}, "argmax skips NaN");
}

TEST(ExprEval, IndexingMaskTakeGather) {
    const Column masked = run("Muon_pt[Muon_eta > 0]");
    EXPECT_EQ(counts(masked), (std::vector<std::int64_t>{1, 0, 1, 2}));
    expectSame(values<float>(masked), {30, 5, 50, 40}, "mask");
    expectSame(values<float>(run("Muon_pt[0]")), {30, kNaNf, 5, 50}, "take 0");
    expectSame(values<float>(run("Muon_pt[-1]")), {10, kNaNf, 5, 20}, "take -1");
    expectSame(values<float>(run("Muon_pt[5]")), {kNaNf, kNaNf, kNaNf, kNaNf}, "out of range");
    expectSame(values<std::int64_t>(run("Muon_charge[1]")), {-1, 0, 0, -1}, "int missing is 0");
    EXPECT_EQ(bools(run("(Muon_pt > 1)[2]")), (std::vector<bool>{false, false, false, true}));
    expectSame(values<float>(run("Muon_pt[small % 2]")), {10, kNaNf, 5, 40}, "per-event");
    const Column sorted = run("Muon_pt[argsort(Muon_pt)]");
    expectSame(values<float>(sorted), {10, 30, 5, 20, 40, 50}, "gather");
    expectSame(values<std::int64_t>(run("argsort(-Muon_pt)")), {0, 1, 0, 0, 1, 2}, "argsort");
    expectSame(values<float>(run("sort(Muon_pt)")), {10, 30, 5, 20, 40, 50}, "sort");
    expectSame(values<float>(run("sort(Muon_pt, -Muon_eta)")), {30, 10, 5, 40, 50, 20},
               "sort by key");
    expectSame(values<float>(run("sort(Jet_pt)")), {100, 20, 45, 60, 35, kNaNf}, "NaN last");
}

TEST(ExprEval, Collections) {
    const Column c = run("Muon[Muon_pt > 15]");
    ASSERT_EQ(c.dtype(), DType::Struct);
    EXPECT_EQ(c.length(), 4);
    std::vector<std::string> names;
    for (const auto& [name, member] : c.members()) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"pt", "eta", "phi", "mass", "charge", "index"}));
    const Column& index = c.members().back().second;
    EXPECT_EQ(counts(index), (std::vector<std::int64_t>{1, 0, 0, 3}));
    expectSame(values<std::int64_t>(index), {0, 0, 1, 2}, "index kept through masks");
    expectSame(values<std::int64_t>(c.members()[4].second), {1, -1, -1, 1}, "charge");
    // a mask on a masked collection keeps the original positions
    expectSame(values<std::int64_t>(run("let m = Muon[Muon_pt > 15]; m[m.pt < 45].index")),
               {0, 1, 2}, "index of a mask of a mask");
    expectSame(values<float>(run("let m = Muon[Muon.charge < 0]; m.pt + m.eta")),
               {8.5f, 50.1f, 40.2f}, "fields of a masked collection", 1e-5);
}

TEST(ExprEval, Concat) {
    const std::string l = "let L = concat(Muon[Muon_pt > 15], Jet); ";
    const Column c = run(l + "L");
    std::vector<std::string> names;
    for (const auto& [name, member] : c.members()) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"pt", "eta", "phi", "mass", "source", "index"}));
    EXPECT_EQ(counts(run(l + "L.pt")), (std::vector<std::int64_t>{2, 3, 0, 5}));
    expectSame(values<float>(run(l + "L.pt")), {30, 100, 60, 45, 20, 50, 40, 20, 35, kNaNf}, "pt");
    expectSame(values<std::int64_t>(run(l + "L.source")), {0, 1, 1, 1, 1, 0, 0, 0, 1, 1}, "source");
    expectSame(values<std::int64_t>(run(l + "L.index")), {0, 1, 0, 1, 2, 0, 1, 2, 3, 4}, "index");
    expectSame(values<std::int64_t>(run(l + "count(L)")), {2, 3, 0, 5}, "count");
}

TEST(ExprEval, FourVectorsOfCollections) {
    // one muon: its own pt; event 1 empty: 0
    const auto pt = values<double>(run("pt(Muon)"));
    EXPECT_NEAR(pt[2], 5, 1e-5);
    EXPECT_EQ(pt[1], 0);
    const auto m = values<double>(run("mass(Muon)"));
    EXPECT_NEAR(m[2], 0.1, 1e-6);
    EXPECT_EQ(m[1], 0);
    testing::P4 p;
    p.add(30, 0.5f, 0.1f, 0.1f);
    p.add(10, -1.5f, 3, 0.1f);
    EXPECT_NEAR(m[0], p.mass(), 1e-9);
    EXPECT_NEAR(values<double>(run("eta(Muon)"))[2], 2, 1e-6);
    EXPECT_NEAR(values<double>(run("phi(Muon)"))[2], -3, 1e-6);
}

TEST(ExprEval, PairsAndTriplets) {
    const Column m = run("pairs(Muon, (a, b) -> mass(a, b))");
    EXPECT_EQ(counts(m), (std::vector<std::int64_t>{1, 0, 0, 3}));
    testing::P4 p;
    p.add(30, 0.5f, 0.1f, 0.1f);
    p.add(10, -1.5f, 3, 0.1f);
    EXPECT_NEAR(values<double>(m)[0], p.mass(), 1e-9);
    expectSame(values<std::int64_t>(run("pairs(Muon, (a, b) -> a.index * 10 + b.index)")),
               {1, 1, 2, 12}, "pair order");
    expectSame(values<float>(run("pairs(Muon, (a, b) -> a.pt - b.pt + MET_pt)")), {30, 50, 70, 60},
               "per-event in body");
    expectSame(values<std::int64_t>(run("triplets(Muon, (a, b, c) -> a.index + b.index * 10 + "
                                        "c.index * 100)")),
               {210}, "triplet");
    const Column cross = run("pairs(Muon, Jet, (m, j) -> m.index * 10 + j.index)");
    EXPECT_EQ(counts(cross), (std::vector<std::int64_t>{2, 0, 0, 6}));
    expectSame(values<std::int64_t>(cross), {0, 10, 0, 1, 10, 11, 20, 21}, "cross pairs");
    expectSame(values<std::int64_t>(run("pairs(Muon, (a, b) -> 7)")), {7, 7, 7, 7}, "const body");
    EXPECT_EQ(bools(run("any(pairs(Muon, (a, b) -> a.charge != b.charge))")),
              (std::vector<bool>{true, false, false, true}));
    // pt of a pair and the best-pair pattern
    const auto best =
        values<double>(run("let p = argmin(pairs(Muon, (a, b) -> abs(mass(a, b) - 50))); "
                           "pairs(Muon, (a, b) -> pt(a, b))[p]"));
    EXPECT_TRUE(std::isnan(best[1]));
    EXPECT_NEAR(best[0], p.pt(), 1e-9);
}

// pairs(C, f)[i] with one index per event evaluates f on the combination at i alone; the
// values (and the missing value out of range) are those of indexing all of them, which a
// `let` of the whole result still does.
TEST(ExprEval, OneCombinationAtAnIndex) {
    const std::string triplet =
        "triplets(Muon, (a, b, c) -> a.index + b.index * 10 + c.index * 100)";
    const std::string combos[] = {"pairs(Muon, (a, b) -> a.index * 10 + b.index)", triplet,
                                  "pairs(Muon, Jet, (m, j) -> m.index * 10 + j.index)",
                                  "pairs(Muon, Jet, (m, j) -> mass(m, j))"};
    const char* const indices[] = {"0", "1",         "2",        "-1",   "-3",
                                   "5", "nMuon - 2", "nJet - 2", "small"};
    for (const std::string& combo : combos)
        for (const std::string index : indices) {
            const Column one = run(combo + "[" + index + "]");
            const Column all = run("let all = " + combo + "; all[" + index + "]");
            ASSERT_EQ(one.dtype(), all.dtype()) << combo << "[" << index << "]";
            if (one.dtype() == DType::Float64)
                expectSame(values<double>(one), values<double>(all), combo + "[" + index + "]");
            else
                expectSame(values<std::int64_t>(one), values<std::int64_t>(all),
                           combo + "[" + index + "]");
        }
    // Event 3 has three muons and two jets: the last pair is (1, 2), the only triplet
    // (0, 1, 2), cross pair 4 is (muon 2, jet 0).
    EXPECT_EQ(values<std::int64_t>(run("pairs(Muon, (a, b) -> a.index * 10 + b.index)[-1]"))[3],
              12);
    EXPECT_EQ(values<std::int64_t>(run(triplet + "[0]"))[3], 210);
    EXPECT_EQ(values<std::int64_t>(run("pairs(Muon, Jet, (m, j) -> m.index * 10 + j.index)[4]"))[3],
              20);
}

TEST(ExprEval, MinDeltaRAndCleaning) {
    const Column dr = run("mindR(Jet, Muon)");
    EXPECT_EQ(counts(dr), (std::vector<std::int64_t>{1, 3, 0, 2}));
    const auto v = values<double>(dr);
    EXPECT_NEAR(v[0], std::hypot(0.45f - 0.5f, 0.1f - 0.1f), 1e-6);
    EXPECT_EQ(v[1], kInf);                                   // event 1 has no muons
    EXPECT_NEAR(v[4], std::hypot(3.0f - 0.2f, 0.0f), 1e-5);  // jet (3, 2) vs muon (0.2, 2)
    EXPECT_EQ(bools(run("cleaned(Jet, Muon, 0.4)")),
              (std::vector<bool>{false, true, true, true, true, true}));
    expectSame(values<float>(run("Jet_pt[cleaned(Jet, Muon[Muon_pt > 35], 0.4)]")),
               {100, 60, 45, 20, 35, kNaNf}, "cleaning against selected muons");
}

TEST(ExprEval, DelphesCollections) {
    ColumnBatch b;
    b.num_entries = 2;
    const std::vector<std::int64_t> off = {0, 2, 3};
    b.columns.emplace_back("Jet.PT", jaggedColumn<float>(off, {50, 30, 20}));
    b.columns.emplace_back("Jet.Eta", jaggedColumn<float>(off, {0, 1, 2}));
    b.columns.emplace_back("Jet.Phi", jaggedColumn<float>(off, {0, 1, 2}));
    b.columns.emplace_back("Jet_size", flatColumn<std::int32_t>({2, 1}));
    expectSame(values<float>(run("Jet.PT * 2", b)), {100, 60, 40}, "Delphes column");
    expectSame(values<float>(run("let j = Jet[Jet.Eta > 0.5]; j.pt", b)), {30, 20}, "pt alias");
    expectSame(values<std::int64_t>(run("count(Jet)", b)), {2, 1}, "count");
    const auto m = values<double>(run("pairs(Jet, (a, b) -> mass(a, b))", b));  // massless
    ASSERT_EQ(m.size(), 1u);
    testing::P4 p;
    p.add(50, 0, 0, 0);
    p.add(30, 1, 1, 0);
    EXPECT_NEAR(m[0], p.mass(), 1e-9);
}

TEST(ExprEval, EmptyBatchAndEmptyEvents) {
    ColumnBatch b = smallBatch();
    for (auto& [name, column] : b.columns) {
        Column empty(column.dtype(), column.levels());
        column = empty;
    }
    b.num_entries = 0;
    EXPECT_EQ(run("sum(Muon_pt[Muon_pt > 1]) + MET_pt", b).length(), 0);
    EXPECT_EQ(run("any(pairs(Muon, (a, b) -> mass(a, b) > 1))", b).length(), 0);
    EXPECT_EQ(run("1", b).length(), 0);
}

TEST(ExprEval, OffsetsNotStartingAtZero) {
    ColumnBatch b;
    b.num_entries = 2;
    // A slice: the values of entries before this batch are still in the arrays.
    b.columns.emplace_back("Muon_pt", jaggedColumn<float>({2, 3, 5}, {99, 98, 1, 2, 3}));
    b.columns.emplace_back("Muon_eta", jaggedColumn<float>({2, 3, 5}, {99, 98, 0.1f, 0.2f, 0.3f}));
    const Column c = run("Muon_pt + Muon_eta", b);
    EXPECT_EQ(c.offsets(0), (Offsets{0, 1, 3}));
    expectSame(values<float>(c), {1.1f, 2.2f, 3.3f}, "sliced", 1e-6);
    const Column plain = run("Muon_pt", b);
    EXPECT_EQ(plain.offsets(0), (Offsets{0, 1, 3}));
    expectSame(values<float>(plain), {1, 2, 3}, "normalized result");
    // Pair members read through absolute positions (which count from the first offset, 2) and
    // the fused mass over 0-based (px, py, pz, E): the one pair is objects 3 and 4 of the arrays.
    b.columns.emplace_back("Muon_phi", jaggedColumn<float>({2, 3, 5}, {99, 98, 0, 0.5f, 1}));
    const Column sums = run("pairs(Muon, (a, b) -> a.pt + b.eta)", b);
    EXPECT_EQ(sums.offsets(0), (Offsets{0, 0, 1}));
    expectSame(values<float>(sums), {2.f + 0.3f}, "pair field sums", 1e-6);
    const auto cartesian = [](double pt, double eta, double phi) {
        return std::array<double, 4>{pt * std::cos(phi), pt * std::sin(phi), pt * std::sinh(eta),
                                     pt * std::cosh(eta)};
    };
    const auto p = cartesian(2, 0.2f, 0.5f);
    const auto q = cartesian(3, 0.3f, 1);
    const double energy = p[3] + q[3];
    const double px = p[0] + q[0], py = p[1] + q[1], pz = p[2] + q[2];
    const double mass = std::sqrt(energy * energy - px * px - py * py - pz * pz);
    const Column masses = run("pairs(Muon, (a, b) -> mass(a, b))", b);
    ASSERT_EQ(masses.offsets(0), (Offsets{0, 0, 1}));
    EXPECT_NEAR(values<double>(masses)[0], mass, 1e-5);
}

TEST(ExprEval, RunTimeErrors) {
    ColumnBatch b = smallBatch();
    const auto e = compile("Muon_pt[Muon_pt > 0] + Muon_pt[Muon_eta > 0]", testing::schemaOf(b));
    try {
        e.evaluate(b);
        FAIL() << "expected a count mismatch";
    } catch (const UsageError& error) {
        EXPECT_NE(std::string(error.message()).find("in entry 100"), std::string::npos)
            << error.message();
    }
    // a column missing from the batch, or of another type than the schema said
    const auto f = compile("MET_pt + 1", testing::schemaOf(b));
    ColumnBatch other;
    other.num_entries = 4;
    EXPECT_THROW(f.evaluate(other), UsageError);
    other.columns.emplace_back("MET_pt", flatColumn<double>({1, 2, 3, 4}));
    EXPECT_THROW(f.evaluate(other), UsageError);
    // Through a kernel, and as the whole result (copied out with its check fused in the copy).
    for (const char* text : {"sum(Muon_pt)", "Muon_pt"}) {
        ColumnBatch bad = smallBatch();
        auto messageOf = [text](const ColumnBatch& batch) -> std::string {
            try {
                run(text, batch);
            } catch (const UsageError& error) {
                return error.message();
            }
            return "(no error)";
        };
        bad.columns[7].second.offsets(0) = {0, 2, 1, 3, 6};  // Muon_pt, decreasing after 101
        EXPECT_NE(messageOf(bad).find("decreasing offsets at entry 101"), std::string::npos)
            << text << ": " << messageOf(bad);
        // A hugely negative offset, and a negative first one, are caught by the same pass.
        bad.columns[7].second.offsets(0) = {0, 2, std::numeric_limits<std::int64_t>::min(), 3, 6};
        EXPECT_NE(messageOf(bad).find("decreasing offsets at entry 101"), std::string::npos)
            << text << ": " << messageOf(bad);
        bad.columns[7].second.offsets(0) = {-1, 2, 2, 3, 6};
        EXPECT_NE(messageOf(bad).find("decreasing offsets at entry 100"), std::string::npos)
            << text << ": " << messageOf(bad);
        bad.columns[7].second.offsets(0) = {0, 2, 2, 3, 7};  // past the 6 values
        EXPECT_NE(messageOf(bad).find("offsets past its 6 values"), std::string::npos)
            << text << ": " << messageOf(bad);
    }
    // Columns of one collection that disagree (a malformed batch) are an error, not a crash.
    ColumnBatch short_eta = smallBatch();
    short_eta.columns[8].second = jaggedColumn<float>({0, 1, 1, 2, 3}, {1, 2, 3});  // Muon_eta
    EXPECT_THROW(run("Muon_pt + Muon_eta", short_eta), UsageError);
    EXPECT_THROW(run("any(pairs(Muon, (a, b) -> mass(a, b) > 1))", short_eta), UsageError);
    EXPECT_THROW(run("Muon_pt[Muon_eta > 0]", short_eta), Error);
}

TEST(ExprEval, ConcurrentEvaluation) {
    const ColumnBatch b = testing::toBatch(testing::makeEvents(300, 7));
    const auto e = compile(testing::kPattern8, testing::schemaOf(b));
    const Column expected = e.evaluate(b);
    std::vector<std::thread> threads;
    std::vector<int> ok(4, 0);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                const Column c = e.evaluate(b);
                ok[static_cast<std::size_t>(t)] += c.bytes() == expected.bytes();
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok, std::vector<int>(4, 50));
}

}  // namespace
}  // namespace hepflow::frame::expr
