// Implied cuts (Analysis::check, docs/reduce.md "Implied cuts"): a filter bounding an object
// selection's counter from below first cuts on the counter of the collection it selects from.
// The steps that follow see exactly the events the cut keeps; the cut flow and the results
// are those of the filters alone; and no cut is implied where it would not hold.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "frame/engine/analysis.h"
#include "frame/engine/dataset.h"
#include "sample.h"
#include "support/test_support.h"

namespace hepflow {
namespace {

using frame::engine::Analysis;
using frame::engine::Computation;
using frame::engine::Dataset;
using frame::engine::RunOptions;
using frame::engine::RunResult;
using frame::engine::StepMetrics;

RunResult runInUnits(Analysis& analysis) {
    RunOptions options;
    options.unit_bytes = 1;  // many units, each with its own cuts
    return analysis.run(options);
}

// The profile's steps by name; -1 for a step that did not run.
std::int64_t rowsOf(const RunResult& result, const std::string& name) {
    for (const StepMetrics& step : result.metrics.steps)
        if (step.name == name) return step.rows;
    return -1;
}
std::ptrdiff_t positionOf(const RunResult& result, const std::string& name) {
    const auto& steps = result.metrics.steps;
    return std::find_if(steps.begin(), steps.end(),
                        [&](const StepMetrics& s) { return s.name == name; }) -
           steps.begin();
}
std::vector<std::string> impliedSteps(const RunResult& result) {
    std::vector<std::string> names;
    for (const StepMetrics& step : result.metrics.steps)
        if (step.name.find("(implied by") != std::string::npos) names.push_back(step.name);
    return names;
}

TEST(ImpliedCuts, ChainOfSelectionsUpToTheInputCounter) {
    enginetest::TempDir dir;
    const auto sample = enginetest::makeSample(3000, 11);
    enginetest::writeSample(sample, dir.file("in.root"), 100);
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    Analysis analysis(*dataset);
    analysis.selectObjects("GoodMuon", "Muon[Muon_pt > 15]");
    analysis.selectObjects("Positive", "GoodMuon[GoodMuon_charge > 0]");
    analysis.filter("met", "MET_pt > 20");
    analysis.filter("two_positive", "nPositive >= 2 && MET_pt < 1000");
    const auto sum = analysis.sum("Positive_pt");
    const RunResult result = runInUnits(analysis);

    std::int64_t met = 0, two_muons = 0, two_good = 0, two_positive = 0;
    double positive_pt = 0;
    for (std::size_t i = 0; i < sample.size(); ++i) {
        if (!(sample.met[i] > 20)) continue;
        ++met;
        if (sample.muon_pt[i].size() < 2) continue;
        ++two_muons;
        int good = 0, positive = 0;
        double pt = 0;
        for (std::size_t k = 0; k < sample.muon_pt[i].size(); ++k) {
            if (!(sample.muon_pt[i][k] > 15)) continue;
            ++good;
            if (sample.muon_charge[i][k] > 0) ++positive, pt += sample.muon_pt[i][k];
        }
        if (good < 2) continue;
        ++two_good;
        if (positive < 2 || !(sample.met[i] < 1000)) continue;
        ++two_positive;
        positive_pt += pt;
    }
    ASSERT_GT(two_positive, 0);
    ASSERT_LT(two_muons, met);
    ASSERT_LT(two_good, two_muons);
    ASSERT_LT(two_positive, two_good);

    // The cut flow has the filters only, with the events the filters alone pass.
    ASSERT_EQ(result.cutflow.size(), 2u);
    EXPECT_EQ(result.cutflow[0].passed, met);
    EXPECT_EQ(result.cutflow[1].passed, two_positive);
    EXPECT_NEAR(result.actions[sum].value, positive_pt, 1e-6 * positive_pt);
    // nPositive <= nGoodMuon <= nMuon: two cuts, outermost first, each before the selection
    // it stands for, and every step after a cut sees only the events it keeps.
    const std::string on_muons = "nMuon >= 2 (implied by two_positive)";
    const std::string on_good = "nGoodMuon >= 2 (implied by two_positive)";
    EXPECT_EQ(impliedSteps(result), (std::vector<std::string>{on_muons, on_good}));
    EXPECT_EQ(rowsOf(result, on_muons), met);
    EXPECT_EQ(rowsOf(result, "GoodMuon (mask)"), two_muons);
    EXPECT_EQ(rowsOf(result, on_good), two_muons);
    EXPECT_EQ(rowsOf(result, "Positive (mask)"), two_good);
    EXPECT_EQ(rowsOf(result, "two_positive"), two_good);
    EXPECT_LT(positionOf(result, on_muons), positionOf(result, "GoodMuon (mask)"));
    EXPECT_LT(positionOf(result, on_good), positionOf(result, "Positive (mask)"));
}

TEST(ImpliedCuts, OnlyWhereTheyHoldAndHelp) {
    enginetest::TempDir dir;
    const auto sample = enginetest::makeSample(1000, 12);
    enginetest::writeSample(sample, dir.file("in.root"), 100);
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    const auto impliedBy = [&](const std::vector<std::pair<std::string, Computation>>& filters) {
        Analysis analysis(*dataset);
        analysis.selectObjects("GoodMuon", "Muon[Muon_pt > 15]");
        analysis.define("nCopy", "nGoodMuon");
        for (const auto& [name, cut] : filters) analysis.filter(name, cut);
        return impliedSteps(runInUnits(analysis));
    };
    using Names = std::vector<std::string>;
    // The largest minimum of a counter's terms; the forms that bound from below.
    EXPECT_EQ(impliedBy({{"f", "nGoodMuon > 0 && 3 <= nGoodMuon && nGoodMuon >= 2"}}),
              (Names{"nMuon >= 3 (implied by f)"}));
    EXPECT_EQ(impliedBy({{"f", "nGoodMuon == 1"}}), (Names{"nMuon >= 1 (implied by f)"}));
    // Not for terms that do not bound it, nor for a column that only copies the counter.
    EXPECT_EQ(impliedBy({{"f", "nGoodMuon >= 2 || MET_pt > 50"}}), Names{});
    EXPECT_EQ(impliedBy({{"f", "nGoodMuon >= 0"}}), Names{});
    EXPECT_EQ(impliedBy({{"f", "nCopy >= 2"}}), Names{});
    EXPECT_EQ(impliedBy({{"f", Computation::function("two", {"nGoodMuon"},
                                                     [](const frame::ColumnBatch& b) {
                                                         return *b.find("nGoodMuon");
                                                     })}}),
              Names{});
    // Not once the selection is made: the second filter reads the counter the first made.
    EXPECT_EQ(impliedBy({{"one", "nGoodMuon >= 1"}, {"two", "nGoodMuon >= 2"}}),
              (Names{"nMuon >= 1 (implied by one)"}));
}

TEST(ImpliedCuts, InputCountersOfRealFiles) {
    const auto hzz = Dataset::open({test::dataPath("uproot-HZZ.root")}, "events");
    EXPECT_EQ(hzz->counterColumn("Jet_Px"), "NJet");
    EXPECT_EQ(hzz->counterColumn("Photon_E"), "NPhoton");
    EXPECT_EQ(hzz->counterColumn("NJet"), "");
    EXPECT_EQ(hzz->counterColumn("MET_px"), "");
    EXPECT_EQ(hzz->counterColumn("no_such_column"), "");
    const auto nano =
        Dataset::open({test::dataPath("nanoAOD_2015_CMS_Open_Data_ttbar.root")}, "Events");
    EXPECT_EQ(nano->counterColumn("Muon_pt"), "nMuon");
    const auto vectors = Dataset::open({test::dataPath("uproot-stl_containers.root")}, "tree");
    ASSERT_NE(vectors->findColumn("vector_int32"), nullptr);
    EXPECT_EQ(vectors->counterColumn("vector_int32"), "");

    // HZZ's collections count with NJet (no "n" prefix): its cut is on NJet, and the cut flow
    // is that of the same filter written as a C++ function (which implies nothing).
    const auto cutFlow = [&](Computation cut) {
        Analysis analysis(*hzz);
        analysis.selectObjects("Forward", "Jet[Jet_Pz > 0]");
        analysis.filter("two_forward", std::move(cut));
        const auto result = analysis.run();
        return std::make_pair(result.cutflow.at(0).passed, impliedSteps(result));
    };
    const auto [expression_passed, expression_implied] = cutFlow("nForward >= 2");
    const auto [function_passed, function_implied] =
        cutFlow(Computation::function("two_forward", {"nForward"}, [](const frame::ColumnBatch& b) {
            frame::Column keep(frame::DType::Bool);
            for (const auto n : b.find("nForward")->values<std::int32_t>()) keep.append(n >= 2);
            return keep;
        }));
    EXPECT_EQ(expression_implied, (std::vector<std::string>{"NJet >= 2 (implied by two_forward)"}));
    EXPECT_TRUE(function_implied.empty());
    EXPECT_EQ(expression_passed, function_passed);
    EXPECT_GT(expression_passed, 0);
}

}  // namespace
}  // namespace hepflow
