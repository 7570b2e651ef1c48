// The engine with expression texts (docs/expressions.md) instead of C++ functions: object
// selections, defines, filters, actions and a snapshot's own cut, against loops over the
// sample; and compiler errors reported with the step's name before any output exists.
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "common/error.h"
#include "frame/engine/analysis.h"
#include "frame/engine/dataset.h"
#include "root/root_file.h"
#include "root/tree/tree.h"
#include "sample.h"

namespace hepflow {
namespace {

using frame::engine::Analysis;
using frame::engine::Dataset;
using frame::engine::HistogramSpec;
using frame::engine::RunOptions;
using frame::engine::SnapshotSpec;

TEST(ExpressionGraph, MatchesHandLoops) {
    enginetest::TempDir dir;
    const auto sample = enginetest::makeSample(2000, 5);
    enginetest::writeSample(sample, dir.file("in.root"), 200);
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    Analysis analysis(*dataset);
    analysis.selectObjects("GoodMuon", "Muon[Muon_pt > 20 && abs(Muon_eta) < 2.1]");
    analysis.define("ht", "sum(Muon_pt)");
    analysis.define("lead_pt", "GoodMuon_pt[0]");
    analysis.filter("two_good", "nGoodMuon >= 2");
    analysis.filter("opposite", "any(GoodMuon_charge != GoodMuon_charge[0])");
    const auto count = analysis.count();
    const auto sum = analysis.sum("ht");
    const auto max = analysis.max("GoodMuon_pt");
    HistogramSpec spec;
    spec.name = "good_eta";
    spec.value = "GoodMuon_eta";
    spec.bins = 12;
    spec.low = -2.4;
    spec.high = 2.4;
    spec.weight = "MET_pt";
    const auto histogram = analysis.histogram(spec);
    SnapshotSpec output;
    output.path = dir.file("out.root");
    output.branches = {"event", "GoodMuon_*", "nGoodMuon", "lead_pt"};
    output.filter = "event % 3 == 0";
    analysis.snapshot(output);
    RunOptions options;
    options.unit_bytes = 1;
    const auto result = analysis.run(options);

    std::int64_t two_good = 0, opposite = 0;
    double ht_sum = 0, max_pt = -INFINITY;
    root::Histogram1D expected_histogram("good_eta", "", 12, -2.4, 2.4);
    std::vector<std::uint64_t> written;
    std::vector<float> lead;
    for (std::size_t i = 0; i < sample.size(); ++i) {
        std::vector<std::size_t> good;
        for (std::size_t k = 0; k < sample.muon_pt[i].size(); ++k)
            if (sample.muon_pt[i][k] > 20 && std::abs(sample.muon_eta[i][k]) < 2.1f)
                good.push_back(k);
        if (good.size() < 2) continue;
        ++two_good;
        bool any_opposite = false;
        for (const auto k : good)
            any_opposite |= sample.muon_charge[i][k] != sample.muon_charge[i][good[0]];
        if (!any_opposite) continue;
        ++opposite;
        for (const float pt : sample.muon_pt[i]) ht_sum += pt;
        for (const auto k : good) {
            max_pt = std::max<double>(max_pt, sample.muon_pt[i][k]);
            expected_histogram.fill(sample.muon_eta[i][k], sample.met[i]);
        }
        if (sample.event[i] % 3 == 0) {
            written.push_back(sample.event[i]);
            lead.push_back(sample.muon_pt[i][good[0]]);
        }
    }
    ASSERT_EQ(result.cutflow.size(), 2u);
    EXPECT_EQ(result.cutflow[0].passed, two_good);
    EXPECT_EQ(result.cutflow[1].passed, opposite);
    EXPECT_EQ(result.actions[count].value, static_cast<double>(opposite));
    EXPECT_NEAR(result.actions[sum].value, ht_sum, 1e-5 * ht_sum);
    EXPECT_EQ(result.actions[max].value, max_pt);
    const auto& h = result.actions[histogram].histogram;
    EXPECT_EQ(h.entries, expected_histogram.entries);
    for (std::size_t b = 0; b < h.contents.size(); ++b)
        EXPECT_NEAR(h.contents[b], expected_histogram.contents[b], 1e-4) << "bin " << b;
    EXPECT_EQ(result.outputs[0].events, static_cast<std::int64_t>(written.size()));

    const auto file = root::RootFile::open(dir.file("out.root"));
    const auto tree = root::Tree::open(*file, "Events");
    const auto events = tree->readBranch(*tree->findBranch("event"));
    const auto values = events.values<std::uint64_t>();
    EXPECT_EQ(std::vector<std::uint64_t>(values.begin(), values.end()), written);
    const auto* lead_branch = tree->findBranch("lead_pt");
    ASSERT_NE(lead_branch, nullptr);
    const auto lead_column = tree->readBranch(*lead_branch);
    ASSERT_EQ(lead_column.numValues(), lead.size());
    for (std::size_t i = 0; i < lead.size(); ++i) {
        const double value = lead_column.dtype() == frame::DType::Float32
                                 ? lead_column.values<float>()[i]
                                 : lead_column.values<double>()[i];
        EXPECT_EQ(value, lead[i]) << i;
    }
    EXPECT_NE(tree->findBranch("GoodMuon_index"), nullptr);
    EXPECT_NE(tree->findBranch("nGoodMuon"), nullptr);
}

// An object selection is made field by field, each field when first needed (here: charge by
// a define before the cut, pt and index only for the events an output keeps); a selection of
// a selection keeps the index into the file's collection; integer fields are Int64.
TEST(ExpressionGraph, ObjectsOfObjectsKeepTheirIndexAndStoredTypes) {
    enginetest::TempDir dir;
    const auto sample = enginetest::makeSample(3000, 9);
    enginetest::writeSample(sample, dir.file("in.root"), 250);
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    Analysis analysis(*dataset);
    analysis.selectObjects("Good", "Muon [Muon_pt > 15]");
    analysis.selectObjects("Tight", "Good[Good_pt > 30 && abs(Good_eta) < 2]");
    analysis.define("charge_sum", "sum(Tight_charge)");
    analysis.filter("one_tight", "nTight >= 1");
    SnapshotSpec output;
    output.path = dir.file("out.root");
    output.branches = {"event",        "nTight",     "Tight_pt",  "Tight_index",
                       "Tight_charge", "Good_index", "charge_sum"};
    analysis.snapshot(output);
    RunOptions options;
    options.unit_bytes = 1;
    const auto result = analysis.run(options);

    std::vector<std::int64_t> tight_index, good_index;
    std::vector<float> tight_pt;
    std::vector<std::int64_t> charge_sum;
    std::int64_t passed = 0;
    for (std::size_t i = 0; i < sample.size(); ++i) {
        std::vector<std::int64_t> good, tight;
        for (std::size_t k = 0; k < sample.muon_pt[i].size(); ++k) {
            if (!(sample.muon_pt[i][k] > 15)) continue;
            good.push_back(static_cast<std::int64_t>(k));
            if (sample.muon_pt[i][k] > 30 && std::abs(sample.muon_eta[i][k]) < 2)
                tight.push_back(static_cast<std::int64_t>(k));
        }
        if (tight.empty()) continue;
        ++passed;
        std::int64_t charges = 0;
        for (const auto k : tight) {
            tight_index.push_back(k);
            tight_pt.push_back(sample.muon_pt[i][static_cast<std::size_t>(k)]);
            charges += sample.muon_charge[i][static_cast<std::size_t>(k)];
        }
        good_index.insert(good_index.end(), good.begin(), good.end());
        charge_sum.push_back(charges);
    }
    ASSERT_EQ(result.cutflow.size(), 1u);
    EXPECT_EQ(result.cutflow[0].passed, passed);
    ASSERT_GT(passed, 100);
    // Some tight muons are not the first good one: the index is the file's position.
    EXPECT_NE(tight_index, std::vector<std::int64_t>(tight_index.size(), 0));

    const auto file = root::RootFile::open(dir.file("out.root"));
    const auto tree = root::Tree::open(*file, "Events");
    const auto read = [&](const char* name) {
        const auto* branch = tree->findBranch(name);
        EXPECT_NE(branch, nullptr) << name;
        return tree->readBranch(*branch);
    };
    const auto asVector = [](const auto span) { return std::vector(span.begin(), span.end()); };
    const auto asInt64 = [](const frame::Column& column) {
        const auto values = column.values<std::int32_t>();
        return std::vector<std::int64_t>(values.begin(), values.end());
    };
    // Fields keep the stored types through both selections (Int_t as in the input), and the
    // index is an Int_t as NanoAOD's indices are.
    EXPECT_EQ(asInt64(read("Tight_index")), tight_index);
    EXPECT_EQ(asInt64(read("Good_index")), good_index);
    EXPECT_EQ(asVector(read("Tight_pt").values<float>()), tight_pt);
    EXPECT_EQ(read("Tight_charge").dtype(), frame::DType::Int32);
    EXPECT_EQ(read("Good_index").dtype(), frame::DType::Int32);
    EXPECT_EQ(asVector(read("charge_sum").values<std::int64_t>()), charge_sum);
}

TEST(ExpressionGraph, CompilerErrorsNameTheStepAndCreateNothing) {
    enginetest::TempDir dir;
    enginetest::writeSample(enginetest::makeSample(100, 5), dir.file("in.root"));
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    const auto message = [&](const std::function<void(Analysis&)>& build) -> std::string {
        Analysis analysis(*dataset);
        build(analysis);
        SnapshotSpec output;
        output.path = dir.file("out.root");
        analysis.snapshot(output);
        try {
            analysis.run();
        } catch (const UsageError& e) {
            EXPECT_FALSE(std::filesystem::exists(dir.file("out.root")));
            return e.what();
        }
        return "(no error)";
    };
    const auto typo = message([](Analysis& a) { a.filter("pt", "count(Muon_ptt > 20) >= 1"); });
    EXPECT_NE(typo.find("selection 'pt': col 7: unknown column 'Muon_ptt'"), std::string::npos)
        << typo;
    EXPECT_NE(typo.find("did you mean 'Muon_pt'?"), std::string::npos) << typo;
    // A column defined later is not visible earlier.
    const auto order = message([](Analysis& a) {
        a.filter("early", "nGood >= 1");
        a.selectObjects("Good", "Muon[Muon_pt > 20]");
    });
    EXPECT_NE(order.find("selection 'early'"), std::string::npos) << order;
    const auto shape = message([](Analysis& a) { a.filter("jagged", "Muon_pt > 20"); });
    EXPECT_NE(shape.find("selection 'jagged': a cut needs one bool per event"), std::string::npos)
        << shape;
    EXPECT_EQ(dir.contents(), std::vector<std::string>{"in.root"});
}

}  // namespace
}  // namespace hepflow
