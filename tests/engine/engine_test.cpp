// The engine against hand-written loops: datasets (schema, work units, inputs, mismatches),
// object selections, defines, filters, actions and snapshots built from C++ functions (and
// from expressions where the compiler is built), outputs read back, identical results and
// files for 1 and 2 threads, and the error paths (nothing is left behind).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>

#include <gtest/gtest.h>

#include "common/error.h"
#include "frame/engine/analysis.h"
#include "frame/engine/dataset.h"
#include "root/root_file.h"
#include "root/tree/tree.h"
#include "root/writer/file_writer.h"
#include "root/writer/tree_writer.h"
#include "sample.h"
#include "support/test_support.h"

namespace hepflow {
namespace {

using enginetest::Sample;
using enginetest::TempDir;
using frame::Column;
using frame::ColumnBatch;
using frame::DType;
using frame::engine::Analysis;
using frame::engine::Computation;
using frame::engine::Dataset;
using frame::engine::HistogramSpec;
using frame::engine::RunOptions;
using frame::engine::RunResult;
using frame::engine::SnapshotSpec;

constexpr float kGoodPt = 20.0f;
constexpr float kMetCut = 20.0f;

std::string messageOf(const std::function<void()>& body) {
    try {
        body();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

// ---------------------------------------------------------------- C++ computations

// GoodMuon: the muons with pt > kGoodPt (fields pt, charge, index).
Computation goodMuons() {
    return Computation::function("GoodMuon", {"Muon_pt", "Muon_charge"}, [](const ColumnBatch& b) {
        const Column& pt = *b.find("Muon_pt");
        const Column& charge = *b.find("Muon_charge");
        Column out_pt(DType::Float32, 1), out_charge(DType::Int32, 1), out_index(DType::Int64, 1);
        const auto& offsets = pt.offsets(0);
        for (std::size_t row = 0; row + 1 < offsets.size(); ++row) {
            for (auto i = offsets[row]; i < offsets[row + 1]; ++i) {
                if (!(pt.values<float>()[i] > kGoodPt)) continue;
                out_pt.append(pt.values<float>()[i]);
                out_charge.append(charge.values<std::int32_t>()[i]);
                out_index.append(static_cast<std::int64_t>(i - offsets[row]));
            }
            for (Column* c : {&out_pt, &out_charge, &out_index})
                c->offsets(0).push_back(static_cast<std::int64_t>(c->numValues()));
        }
        Column collection(DType::Struct);
        collection.members().emplace_back("pt", std::move(out_pt));
        collection.members().emplace_back("charge", std::move(out_charge));
        collection.members().emplace_back("index", std::move(out_index));
        collection.setStructLength(b.num_entries);
        return collection;
    });
}

// A per-event function of one flat column.
template <class In, class Out>
Computation perEvent(std::string label, std::string input, Out (*f)(In)) {
    return Computation::function(label, {input}, [input, f](const ColumnBatch& b) {
        Column out(frame::dtypeOf<Out>());
        for (const In value : b.find(input)->values<In>()) out.append(f(value));
        return out;
    });
}

Computation sumOfMuonPt() {
    return Computation::function("ht", {"Muon_pt"}, [](const ColumnBatch& b) {
        const Column& pt = *b.find("Muon_pt");
        Column out(DType::Float64);
        const auto& offsets = pt.offsets(0);
        for (std::size_t row = 0; row + 1 < offsets.size(); ++row) {
            double sum = 0;
            for (auto i = offsets[row]; i < offsets[row + 1]; ++i) sum += pt.values<float>()[i];
            out.append(sum);
        }
        return out;
    });
}

// The reference: what the graph of makeAnalysis() computes, by plain loops.
struct Expected {
    std::int64_t two_good = 0, met = 0;
    std::vector<std::uint64_t> events;  // passing both cuts
    std::vector<std::vector<float>> good_pt;
    double sum_ht = 0;
    double min_met = std::numeric_limits<double>::infinity();
    double max_good_pt = -std::numeric_limits<double>::infinity();
    root::Histogram1D histogram{"good_pt", "", 10, 0, 100};
};

Expected expectedOf(const Sample& sample) {
    Expected e;
    for (std::size_t i = 0; i < sample.size(); ++i) {
        std::vector<float> good;
        double ht = 0;
        for (const float pt : sample.muon_pt[i]) {
            ht += pt;
            if (pt > kGoodPt) good.push_back(pt);
        }
        if (good.size() < 2) continue;
        ++e.two_good;
        if (!(sample.met[i] > kMetCut)) continue;
        ++e.met;
        e.events.push_back(sample.event[i]);
        e.sum_ht += ht;
        e.min_met = std::min<double>(e.min_met, sample.met[i]);
        for (const float pt : good) {
            e.max_good_pt = std::max<double>(e.max_good_pt, pt);
            e.histogram.fill(pt, sample.met[i] / 50.0);
        }
        e.good_pt.push_back(good);
    }
    return e;
}

struct Ids {
    Analysis::ActionId count, sum, min, max, histogram;
};

Ids addGraph(Analysis& analysis, const std::string& out1, const std::string& out2,
             bool reproducible = false) {
    analysis.selectObjects("GoodMuon", goodMuons());
    analysis.define("ht", sumOfMuonPt());
    analysis.filter("two_good",
                    perEvent<std::int32_t, bool>("nGoodMuon >= 2", "nGoodMuon",
                                                 [](std::int32_t n) { return n >= 2; }));
    analysis.filter("met", perEvent<float, bool>("MET_pt > 20", "MET_pt",
                                                 [](float met) { return met > kMetCut; }));
    Ids ids{};
    ids.count = analysis.count();
    ids.sum = analysis.sum(
        Computation::function("ht", {"ht"}, [](const ColumnBatch& b) { return *b.find("ht"); }));
    ids.min = analysis.min(Computation::function(
        "MET_pt", {"MET_pt"}, [](const ColumnBatch& b) { return *b.find("MET_pt"); }));
    const auto good_pt =
        Computation::function("GoodMuon_pt", {"GoodMuon_pt"},
                              [](const ColumnBatch& b) { return *b.find("GoodMuon_pt"); });
    ids.max = analysis.max(good_pt);
    HistogramSpec histogram;
    histogram.name = "good_pt";
    histogram.value = good_pt;
    histogram.bins = 10;
    histogram.low = 0;
    histogram.high = 100;
    histogram.weight =
        perEvent<float, double>("MET_pt / 50", "MET_pt", [](float met) { return met / 50.0; });
    ids.histogram = analysis.histogram(histogram);
    SnapshotSpec first;
    first.path = out1;
    first.branches = {"event", "MET_pt", "GoodMuon_*", "nGoodMuon", "ht"};
    first.reproducible = reproducible;
    analysis.snapshot(first);
    SnapshotSpec second;
    second.path = out2;
    second.tree = "skim/Even";
    second.filter = perEvent<std::uint64_t, bool>("event % 2 == 0", "event",
                                                  [](std::uint64_t e) { return e % 2 == 0; });
    second.compression = {root::CompressionAlgorithm::Lz4, 4};
    second.reproducible = reproducible;
    analysis.snapshot(second);
    return ids;
}

template <class T>
std::vector<T> flatValues(const root::Tree& tree, const std::string& name) {
    const auto* branch = tree.findBranch(name);
    EXPECT_NE(branch, nullptr) << name;
    if (branch == nullptr) return {};
    const Column column = tree.readBranch(*branch);
    const auto values = column.values<T>();
    return {values.begin(), values.end()};
}

template <class T>
std::vector<std::vector<T>> jaggedValues(const root::Tree& tree, const std::string& name) {
    const auto* branch = tree.findBranch(name);
    EXPECT_NE(branch, nullptr) << name;
    if (branch == nullptr) return {};
    const Column column = tree.readBranch(*branch);
    std::vector<std::vector<T>> rows;
    const auto& offsets = column.offsets(0);
    for (std::size_t row = 0; row + 1 < offsets.size(); ++row)
        rows.emplace_back(column.values<T>().begin() + offsets[row],
                          column.values<T>().begin() + offsets[row + 1]);
    return rows;
}

std::vector<char> fileBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void expectResults(const RunResult& result, const Ids& ids, const Expected& expected,
                   std::int64_t events_in) {
    EXPECT_EQ(result.metrics.events_in, events_in);
    ASSERT_EQ(result.cutflow.size(), 2u);
    EXPECT_EQ(result.cutflow[0].name, "two_good");
    EXPECT_EQ(result.cutflow[0].passed, expected.two_good);
    EXPECT_EQ(result.cutflow[1].passed, expected.met);
    EXPECT_EQ(result.actions[ids.count].value, static_cast<double>(expected.met));
    EXPECT_NEAR(result.actions[ids.sum].value, expected.sum_ht, 1e-9 * expected.sum_ht);
    EXPECT_EQ(result.actions[ids.min].value, expected.min_met);
    EXPECT_EQ(result.actions[ids.max].value, expected.max_good_pt);
    const auto& histogram = result.actions[ids.histogram].histogram;
    EXPECT_EQ(histogram.entries, expected.histogram.entries);
    ASSERT_EQ(histogram.contents.size(), expected.histogram.contents.size());
    for (std::size_t i = 0; i < histogram.contents.size(); ++i) {
        EXPECT_NEAR(histogram.contents[i], expected.histogram.contents[i], 1e-9) << "bin " << i;
        EXPECT_NEAR(histogram.sumw2[i], expected.histogram.sumw2[i], 1e-9) << "bin " << i;
    }
    EXPECT_NEAR(histogram.tsumwx, expected.histogram.tsumwx, 1e-9 * expected.histogram.tsumwx);
    ASSERT_EQ(result.outputs.size(), 2u);
    EXPECT_EQ(result.outputs[0].events, expected.met);
    EXPECT_GT(result.outputs[0].bytes, 0);
    EXPECT_EQ(result.metrics.bytes_written, result.outputs[0].bytes + result.outputs[1].bytes);
}

// ---------------------------------------------------------------- datasets

TEST(Dataset, SchemaAndWorkUnitsFollowClusters) {
    TempDir dir;
    const auto sample = enginetest::makeSample(1000, 1);
    enginetest::writeSample(sample, dir.file("a.root"), 100);
    const auto dataset = Dataset::open({dir.file("a.root")}, "Events");
    EXPECT_EQ(dataset->numEntries(), 1000);
    std::vector<std::string> names;
    for (const auto& column : dataset->columns()) names.push_back(column.name);
    EXPECT_EQ(names, (std::vector<std::string>{"event", "MET_pt", "nMuon", "Muon_pt", "Muon_eta",
                                               "Muon_charge"}));
    const auto* pt = dataset->findColumn("Muon_pt");
    ASSERT_NE(pt, nullptr);
    EXPECT_EQ(pt->dtype, DType::Float32);
    EXPECT_EQ(pt->levels, 1u);
    ASSERT_TRUE(pt->spec.has_value());
    EXPECT_EQ(pt->spec->counter, "nMuon");

    const std::vector<std::string> columns{"Muon_pt", "MET_pt"};
    // Tiny units: one per cluster of 100 entries.
    const auto units = dataset->workUnits(columns, 1);
    ASSERT_EQ(units.size(), 10u);
    for (std::size_t i = 0; i < units.size(); ++i) {
        EXPECT_EQ(units[i].begin, static_cast<std::int64_t>(i) * 100);
        EXPECT_EQ(units[i].end, static_cast<std::int64_t>(i + 1) * 100);
        EXPECT_GT(units[i].compressed_bytes, 0);
    }
    // Large units: whole clusters, fewer of them, still covering everything in order.
    const auto big = dataset->workUnits(columns, 1 << 30);
    ASSERT_EQ(big.size(), 1u);
    EXPECT_EQ(big[0].end, 1000);

    const auto batch = dataset->read(units[3], columns);
    EXPECT_EQ(batch.num_entries, 100);
    const auto met = batch.find("MET_pt")->values<float>();
    EXPECT_EQ(met[0], sample.met[300]);
    EXPECT_EQ(batch.find("Muon_pt")->offsets(0).back(), [&] {
        std::int64_t n = 0;
        for (std::size_t i = 300; i < 400; ++i) n += sample.muon_pt[i].size();
        return n;
    }());
}

// A tree of one byte per entry: the byte target alone would make units of millions of entries;
// they stop at kMaxUnitEntries, on cluster boundaries, and a cluster larger than that stays
// whole.
TEST(Dataset, UnitsOfNarrowColumnsHaveAtMostMaxUnitEntries) {
    TempDir dir;
    const auto writeFlags = [&](const std::string& path, std::int64_t entries,
                                std::int64_t cluster_entries) {
        auto file = root::FileWriter::create(path);
        std::vector<root::BranchSpec> specs(1);
        specs[0].name = "flag";
        specs[0].dtype = DType::UInt8;
        root::TreeWriteOptions options;
        options.cluster_entries = cluster_entries;
        root::TreeWriter writer(*file, root::FileWriter::kTopDirectory, "Events", "Events", specs,
                                options);
        for (std::int64_t begin = 0; begin < entries; begin += cluster_entries) {
            const std::int64_t end = std::min(entries, begin + cluster_entries);
            ColumnBatch batch;
            batch.first_entry = begin;
            batch.num_entries = end - begin;
            Column flags(DType::UInt8);
            flags.bytes().resize(static_cast<std::size_t>(end - begin));
            for (std::size_t i = 0; i < flags.bytes().size(); ++i)
                flags.bytes()[i] = static_cast<std::byte>(i % 3);
            batch.columns.emplace_back("flag", std::move(flags));
            writer.write(batch);
        }
        writer.close();
        file->commit();
    };
    const auto unitSizes = [](const Dataset& dataset) {
        std::vector<std::int64_t> sizes;
        std::int64_t next = 0;
        for (const auto& unit : dataset.workUnits(std::vector<std::string>{"flag"})) {
            EXPECT_EQ(unit.begin, next);
            next = unit.end;
            sizes.push_back(unit.end - unit.begin);
        }
        return sizes;
    };
    static_assert(frame::engine::kMaxUnitEntries == 131072);
    writeFlags(dir.file("small_clusters.root"), 270000, 1000);
    EXPECT_EQ(unitSizes(*Dataset::open({dir.file("small_clusters.root")}, "Events")),
              (std::vector<std::int64_t>{131000, 131000, 8000}));
    writeFlags(dir.file("large_clusters.root"), 300000, 200000);
    EXPECT_EQ(unitSizes(*Dataset::open({dir.file("large_clusters.root")}, "Events")),
              (std::vector<std::int64_t>{200000, 100000}));
}

TEST(Dataset, NanoAodColumns) {
    const auto dataset =
        Dataset::open({test::dataPath("nanoAOD_2015_CMS_Open_Data_ttbar.root")}, "Events");
    EXPECT_EQ(dataset->numEntries(), 200);
    const auto* n = dataset->findColumn("nMuon");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->dtype, DType::UInt32);
    ASSERT_NE(dataset->findColumn("Muon_pt"), nullptr);
    EXPECT_EQ(dataset->findColumn("Muon_pt")->spec->counter, "nMuon");
    const std::vector<std::string> columns{"nMuon", "Muon_pt"};
    const auto units = dataset->workUnits(columns);
    ASSERT_EQ(units.size(), 1u);  // all baskets are inside the TTree record
    const auto batch = dataset->read(units[0], columns);
    EXPECT_EQ(batch.find("Muon_pt")->offsets(0).back(), [&] {
        std::int64_t total = 0;
        for (const auto v : batch.find("nMuon")->values<std::uint32_t>()) total += v;
        return total;
    }());
}

TEST(Dataset, GlobsAreSortedAndMissingInputsNamed) {
    TempDir dir;
    enginetest::writeSample(enginetest::makeSample(50, 2), dir.file("b_2.root"));
    enginetest::writeSample(enginetest::makeSample(70, 3), dir.file("b_1.root"));
    const auto dataset = Dataset::open({dir.path() + "/b_*.root"}, "Events");
    ASSERT_EQ(dataset->files().size(), 2u);
    EXPECT_EQ(dataset->files()[0], dir.file("b_1.root"));
    EXPECT_EQ(dataset->numEntries(), 120);

    EXPECT_NE(messageOf([&] {
                  Dataset::open({dir.file("nope.root")}, "Events");
              }).find("input file '" + dir.file("nope.root") + "' does not exist"),
              std::string::npos);
    EXPECT_NE(messageOf([&] {
                  Dataset::open({dir.path() + "/c_*.root"}, "Events");
              }).find("no input file matches"),
              std::string::npos);
    EXPECT_THROW(Dataset::open({dir.file("b_1.root")}, "Nope"), Error);
}

TEST(Dataset, SchemaMismatchIsAnError) {
    TempDir dir;
    enginetest::writeSample(enginetest::makeSample(10, 2), dir.file("a.root"));
    enginetest::writeSample(enginetest::makeSample(10, 2), dir.file("b.root"), 100, true);
    const auto message = messageOf([&] {
        Dataset::open({dir.file("a.root"), dir.file("b.root")}, "Events");
    });
    EXPECT_NE(message.find("column 'MET_pt' is float64 here but float32"), std::string::npos)
        << message;
    EXPECT_NE(message.find("b.root"), std::string::npos) << message;
}

// ---------------------------------------------------------------- the graph

TEST(Analysis, CutFlowActionsAndSnapshotsMatchHandLoops) {
    TempDir dir;
    const auto sample = enginetest::makeSample(1000, 7);
    enginetest::writeSample(sample, dir.file("in.root"), 100);
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    Analysis analysis(*dataset);
    const auto ids = addGraph(analysis, dir.file("out1.root"), dir.file("out2.root"));
    EXPECT_EQ(analysis.columnsRead(),
              (std::vector<std::string>{"event", "MET_pt", "nMuon", "Muon_pt", "Muon_eta",
                                        "Muon_charge"}));
    RunOptions options;
    options.unit_bytes = 1;  // one unit per cluster: ten units
    std::vector<std::int64_t> progress;
    options.progress = [&](std::int64_t done, std::int64_t total) {
        EXPECT_EQ(total, 1000);
        progress.push_back(done);
    };
    const auto result = analysis.run(options);
    const auto expected = expectedOf(sample);
    expectResults(result, ids, expected, 1000);
    EXPECT_EQ(result.metrics.units, 10);
    ASSERT_EQ(progress.size(), 10u);
    EXPECT_EQ(progress.back(), 1000);
    EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
    EXPECT_GT(result.metrics.bytes_read, 0);
    EXPECT_EQ(result.outputs[0].branches,
              (std::vector<std::string>{"event", "MET_pt", "GoodMuon_pt", "GoodMuon_charge",
                                        "GoodMuon_index", "nGoodMuon", "ht"}));

    // The first output holds exactly the selected events, with the selected muons.
    const auto file = root::RootFile::open(dir.file("out1.root"));
    const auto tree = root::Tree::open(*file, "Events");
    EXPECT_EQ(tree->numEntries(), expected.met);
    EXPECT_EQ(flatValues<std::uint64_t>(*tree, "event"), expected.events);
    EXPECT_EQ(jaggedValues<float>(*tree, "GoodMuon_pt"), expected.good_pt);
    const auto counts = flatValues<std::int32_t>(*tree, "nGoodMuon");
    ASSERT_EQ(counts.size(), expected.good_pt.size());
    for (std::size_t i = 0; i < counts.size(); ++i)
        EXPECT_EQ(counts[i], static_cast<std::int32_t>(expected.good_pt[i].size()));
    const auto ht = flatValues<double>(*tree, "ht");
    double ht_sum = 0;
    for (const double v : ht) ht_sum += v;
    EXPECT_NEAR(ht_sum, expected.sum_ht, 1e-9 * expected.sum_ht);
    EXPECT_EQ(tree->findBranch("Muon_pt"), nullptr);

    // The second: its own extra cut, every input column and every new one, in a directory.
    const auto file2 = root::RootFile::open(dir.file("out2.root"));
    const auto tree2 = root::Tree::open(*file2, "skim/Even");
    std::vector<std::uint64_t> even;
    for (const auto e : expected.events)
        if (e % 2 == 0) even.push_back(e);
    EXPECT_EQ(flatValues<std::uint64_t>(*tree2, "event"), even);
    EXPECT_EQ(result.outputs[1].events, static_cast<std::int64_t>(even.size()));
    std::vector<std::vector<float>> muon_pt;
    for (const auto e : even) muon_pt.push_back(sample.muon_pt[e]);
    EXPECT_EQ(jaggedValues<float>(*tree2, "Muon_pt"), muon_pt);
    EXPECT_NE(tree2->findBranch("GoodMuon_index"), nullptr);
    EXPECT_EQ(dir.contents(), (std::vector<std::string>{"in.root", "out1.root", "out2.root"}));
}

// Columns are dropped from a unit once nothing later reads them (Muon_eta after the object
// selection) and an output's columns are moved into it when no later output reads them: two
// unfiltered outputs sharing columns must both get every value.
TEST(Analysis, OutputsSharingColumnsGetEveryValue) {
    TempDir dir;
    const auto sample = enginetest::makeSample(1000, 5);
    enginetest::writeSample(sample, dir.file("in.root"), 100);
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    Analysis analysis(*dataset);
    analysis.selectObjects("GoodMuon", goodMuons());
    analysis.define("ht", sumOfMuonPt());
    analysis.filter("two_good",
                    perEvent<std::int32_t, bool>("nGoodMuon >= 2", "nGoodMuon",
                                                 [](std::int32_t n) { return n >= 2; }));
    analysis.filter("met", perEvent<float, bool>("MET_pt > 20", "MET_pt",
                                                 [](float met) { return met > kMetCut; }));
    SnapshotSpec first;
    first.path = dir.file("a.root");
    first.branches = {"event", "GoodMuon_pt", "ht"};
    analysis.snapshot(first);
    SnapshotSpec second;
    second.path = dir.file("b.root");
    second.branches = {"event", "GoodMuon_pt"};
    analysis.snapshot(second);
    RunOptions options;
    options.unit_bytes = 1;
    const auto result = analysis.run(options);
    const auto expected = expectedOf(sample);
    for (const char* name : {"a.root", "b.root"}) {
        const auto file = root::RootFile::open(dir.file(name));
        const auto tree = root::Tree::open(*file, "Events");
        EXPECT_EQ(flatValues<std::uint64_t>(*tree, "event"), expected.events) << name;
        EXPECT_EQ(jaggedValues<float>(*tree, "GoodMuon_pt"), expected.good_pt) << name;
    }
    const auto file = root::RootFile::open(dir.file("a.root"));
    const auto tree = root::Tree::open(*file, "Events");
    double ht_sum = 0;
    for (const double v : flatValues<double>(*tree, "ht")) ht_sum += v;
    EXPECT_NEAR(ht_sum, expected.sum_ht, 1e-9 * expected.sum_ht);
    EXPECT_EQ(result.outputs[1].events, expected.met);
}

// `inner` (a C++ computation) adding the rows of every batch it sees to `rows`.
Computation counted(const Computation& inner, std::shared_ptr<std::atomic<std::int64_t>> rows) {
    auto function = inner.function();
    return Computation::function(inner.text(), inner.functionInputs(),
                                 [function, rows](const ColumnBatch& b) {
                                     *rows += b.num_entries;
                                     return function(b);
                                 });
}

// Object selections and defines run lazily (as RDataFrame's): each just before the first
// step that reads it, so a cut declared after them that does not need them (the MET cut here)
// filters the events before they are computed. The counters prove which events each saw;
// the results are those of the declared order.
TEST(Analysis, DefinesRunJustBeforeTheirFirstReader) {
    TempDir dir;
    const auto sample = enginetest::makeSample(1000, 9);
    enginetest::writeSample(sample, dir.file("in.root"), 100);
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    auto objects_rows = std::make_shared<std::atomic<std::int64_t>>(0);
    auto ht_rows = std::make_shared<std::atomic<std::int64_t>>(0);
    Analysis analysis(*dataset);
    analysis.selectObjects("GoodMuon", counted(goodMuons(), objects_rows));
    analysis.define("ht", counted(sumOfMuonPt(), ht_rows));
    analysis.filter("met", perEvent<float, bool>("MET_pt > 20", "MET_pt",
                                                 [](float met) { return met > kMetCut; }));
    analysis.filter("two_good",
                    perEvent<std::int32_t, bool>("nGoodMuon >= 2", "nGoodMuon",
                                                 [](std::int32_t n) { return n >= 2; }));
    const auto sum = analysis.sum(
        Computation::function("ht", {"ht"}, [](const ColumnBatch& b) { return *b.find("ht"); }));
    SnapshotSpec out;
    out.path = dir.file("out.root");
    out.branches = {"event", "GoodMuon_pt", "ht"};
    analysis.snapshot(out);
    analysis.check();  // binding evaluates each computation once on an empty batch
    *objects_rows = 0;
    *ht_rows = 0;
    RunOptions options;
    options.unit_bytes = 1;
    const auto result = analysis.run(options);

    const auto expected = expectedOf(sample);  // cuts two_good then met: the same events
    std::int64_t met_passing = 0;
    for (const float met : sample.met) met_passing += met > kMetCut ? 1 : 0;
    ASSERT_EQ(result.cutflow.size(), 2u);
    EXPECT_EQ(result.cutflow[0].name, "met");
    EXPECT_EQ(result.cutflow[0].passed, met_passing);
    EXPECT_EQ(result.cutflow[1].passed, expected.met);
    EXPECT_LT(met_passing, 1000);
    EXPECT_EQ(objects_rows->load(), met_passing);  // after the MET cut, before two_good
    EXPECT_EQ(ht_rows->load(), expected.met);      // only the events passing every cut
    // The profile lists the steps in that order, with the events each saw.
    const auto& steps = result.metrics.steps;
    ASSERT_EQ(steps.size(), 5u);
    const std::vector<std::pair<std::string, std::string>> order = {
        {"met", "filter"},
        {"GoodMuon", "objects"},
        {"two_good", "filter"},
        {"ht", "define"},
        {"(actions and outputs)", "outputs"}};
    const std::vector<std::int64_t> events = {1000, met_passing, met_passing, expected.met,
                                              expected.met};
    for (std::size_t i = 0; i < steps.size(); ++i) {
        EXPECT_EQ(steps[i].name, order[i].first);
        EXPECT_EQ(steps[i].kind, order[i].second) << steps[i].name;
        EXPECT_EQ(steps[i].rows, events[i]) << steps[i].name;
    }
    EXPECT_GT(steps[0].read_seconds, 0);  // MET_pt
    EXPECT_EQ(steps[3].read_seconds, 0);  // ht reads only GoodMuon_pt, made before
    EXPECT_GT(steps[4].read_seconds, 0);  // event, for the snapshot
    EXPECT_NEAR(result.actions[sum].value, expected.sum_ht, 1e-9 * expected.sum_ht);
    const auto file = root::RootFile::open(dir.file("out.root"));
    const auto tree = root::Tree::open(*file, "Events");
    EXPECT_EQ(flatValues<std::uint64_t>(*tree, "event"), expected.events);
    EXPECT_EQ(jaggedValues<float>(*tree, "GoodMuon_pt"), expected.good_pt);
}

// A define, or a field of an object selection, that no step, action or output reads is never
// computed, and the input columns only it would read are not read: a selection used for its
// counter alone costs its mask and counter. Filters run whatever reads them.
TEST(Analysis, StepsWhoseColumnsNothingReadsAreDropped) {
    TempDir dir;
    const auto sample = enginetest::makeSample(1000, 13);
    enginetest::writeSample(sample, dir.file("in.root"), 100);
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    const Computation met = Computation::function(
        "MET_pt", {"MET_pt"}, [](const ColumnBatch& b) { return *b.find("MET_pt"); });
    auto unread_rows = std::make_shared<std::atomic<std::int64_t>>(0);
    auto read_rows = std::make_shared<std::atomic<std::int64_t>>(0);
    Analysis analysis(*dataset);
    analysis.selectObjects("GoodMuon", "Muon[Muon_pt > 20]");
    analysis.define("unread", counted(met, unread_rows));
    analysis.define("met_copy", counted(met, read_rows));
    analysis.define("eta_sum", "sum(GoodMuon_eta)");  // reads a field, but nothing reads it
    analysis.filter("two_good", "nGoodMuon >= 2");
    const auto sum = analysis.sum("met_copy");
    analysis.check();
    *unread_rows = 0;
    *read_rows = 0;
    // Muon_eta and Muon_charge only feed fields nothing reads.
    EXPECT_EQ(analysis.columnsRead(), (std::vector<std::string>{"MET_pt", "nMuon", "Muon_pt"}));
    RunOptions options;
    options.unit_bytes = 1;
    const auto result = analysis.run(options);

    std::int64_t two_good = 0;
    double met_sum = 0;
    for (std::size_t i = 0; i < sample.size(); ++i) {
        int good = 0;
        for (const float pt : sample.muon_pt[i]) good += pt > 20 ? 1 : 0;
        if (good < 2) continue;
        ++two_good;
        met_sum += sample.met[i];
    }
    ASSERT_EQ(result.cutflow.size(), 1u);
    EXPECT_EQ(result.cutflow[0].passed, two_good);
    EXPECT_NEAR(result.actions[sum].value, met_sum, 1e-4 * met_sum);
    EXPECT_EQ(unread_rows->load(), 0);
    EXPECT_EQ(read_rows->load(), two_good);
    std::vector<std::string> names;
    for (const auto& step : result.metrics.steps)
        if (step.name.find("(implied by") == std::string::npos) names.push_back(step.name);
    EXPECT_EQ(names, (std::vector<std::string>{"GoodMuon (mask)", "nGoodMuon", "two_good",
                                               "met_copy", "(actions and outputs)"}));
}

// bytes_read is what the run fetched: every basket of the columns read when nothing is cut,
// only the cut's own column when no event passes it (the columns after it are never fetched).
TEST(Analysis, BytesReadAreTheBasketsFetched) {
    TempDir dir;
    enginetest::writeSample(enginetest::makeSample(2000, 3), dir.file("in.root"), 100);
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    const auto basketBytes = [&](const std::vector<std::string>& columns) {
        std::int64_t bytes = 0;
        for (const auto& unit : dataset->workUnits(columns, 1)) bytes += unit.compressed_bytes;
        return bytes;
    };
    RunOptions options;
    options.unit_bytes = 1;

    Analysis everything(*dataset);
    everything.sum("MET_pt + sum(Muon_pt)");
    const auto all = everything.run(options);
    const std::int64_t all_bytes = basketBytes(all.metrics.columns_read);
    EXPECT_GE(all.metrics.bytes_read, all_bytes);
    // Vectored reads bridge small gaps (baskets of other branches: large here, in a tiny file).
    EXPECT_LE(all.metrics.bytes_read, all_bytes * 3 / 2);

    Analysis none_pass(*dataset);
    none_pass.filter("nothing", "MET_pt < 0");
    none_pass.sum("sum(Muon_pt)");
    const auto cut = none_pass.run(options);
    EXPECT_EQ(cut.cutflow.at(0).passed, 0);
    EXPECT_GT(cut.metrics.columns_read.size(), 1u);  // Muon_pt (and its counter) too
    const std::int64_t met_bytes = basketBytes({"MET_pt"});
    EXPECT_GE(cut.metrics.bytes_read, met_bytes);
    EXPECT_LE(cut.metrics.bytes_read, met_bytes * 3 / 2);
    EXPECT_LT(cut.metrics.bytes_read, all.metrics.bytes_read / 2);
}

TEST(Analysis, SameResultsAndFilesForOneAndTwoThreads) {
    TempDir dir;
    const auto sample = enginetest::makeSample(3000, 11);
    enginetest::writeSample(sample, dir.file("in.root"), 250);
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    const auto expected = expectedOf(sample);
    std::vector<RunResult> results;
    for (const int threads : {1, 2}) {
        Analysis analysis(*dataset);
        // Same file names: reproducible files derive their UUIDs from them.
        const std::string folder = dir.file("threads" + std::to_string(threads));
        std::filesystem::create_directory(folder);
        const auto ids = addGraph(analysis, folder + "/a.root", folder + "/b.root", true);
        RunOptions options;
        options.threads = threads;
        options.unit_bytes = 1;
        results.push_back(analysis.run(options));
        expectResults(results.back(), ids, expected, 3000);
        EXPECT_EQ(results.back().metrics.threads, threads);
    }
    EXPECT_EQ(results[0].actions[1].value, results[1].actions[1].value);  // sums bit for bit
    EXPECT_EQ(results[0].actions[4].histogram.contents, results[1].actions[4].histogram.contents);
    for (const char* name : {"/a.root", "/b.root"})
        EXPECT_TRUE(fileBytes(dir.file("threads1") + name) ==
                    fileBytes(dir.file("threads2") + name))
            << name;
}

TEST(Analysis, SeveralInputFiles) {
    TempDir dir;
    const auto first = enginetest::makeSample(400, 21, 0);
    const auto second = enginetest::makeSample(300, 22, 400);
    enginetest::writeSample(first, dir.file("in_1.root"), 100);
    enginetest::writeSample(second, dir.file("in_2.root"), 100);
    Sample all = first;
    all.event.insert(all.event.end(), second.event.begin(), second.event.end());
    all.met.insert(all.met.end(), second.met.begin(), second.met.end());
    all.muon_pt.insert(all.muon_pt.end(), second.muon_pt.begin(), second.muon_pt.end());
    all.muon_eta.insert(all.muon_eta.end(), second.muon_eta.begin(), second.muon_eta.end());
    all.muon_charge.insert(all.muon_charge.end(), second.muon_charge.begin(),
                           second.muon_charge.end());
    const auto dataset = Dataset::open({dir.path() + "/in_*.root"}, "Events");
    Analysis analysis(*dataset);
    const auto ids = addGraph(analysis, dir.file("o1.root"), dir.file("o2.root"));
    RunOptions options;
    options.unit_bytes = 1;
    const auto result = analysis.run(options);
    const auto expected = expectedOf(all);
    expectResults(result, ids, expected, 700);
    EXPECT_EQ(result.metrics.units, 7);
    const auto file = root::RootFile::open(dir.file("o1.root"));
    EXPECT_EQ(flatValues<std::uint64_t>(*root::Tree::open(*file, "Events"), "event"),
              expected.events);
}

// ---------------------------------------------------------------- errors

TEST(Analysis, ConfigurationErrorsCreateNothing) {
    TempDir dir;
    enginetest::writeSample(enginetest::makeSample(100, 3), dir.file("in.root"));
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    const auto failure = [&](const std::function<void(Analysis&)>& build) {
        Analysis analysis(*dataset);
        build(analysis);
        SnapshotSpec spec;
        spec.path = dir.file("out.root");
        analysis.snapshot(spec);
        const auto message = messageOf([&] { analysis.run(); });
        EXPECT_EQ(dir.contents(), std::vector<std::string>{"in.root"}) << message;
        return message;
    };
    const auto typo = failure([](Analysis& a) {
        a.define("x", Computation::function("f", {"Muon_ptt"}, [](const ColumnBatch& b) {
                     return *b.find("Muon_pt");
                 }));
    });
    EXPECT_NE(typo.find("define 'x': f: unknown column 'Muon_ptt' — did you mean 'Muon_pt'?"),
              std::string::npos)
        << typo;
    const auto clash = failure([](Analysis& a) { a.define("MET_pt", sumOfMuonPt()); });
    EXPECT_NE(clash.find("a column named 'MET_pt' exists already"), std::string::npos) << clash;
    const auto jagged_cut = failure([](Analysis& a) {
        a.filter("bad", Computation::function("pt", {"Muon_pt"}, [](const ColumnBatch& b) {
                     return *b.find("Muon_pt");
                 }));
    });
    EXPECT_NE(jagged_cut.find("selection 'bad': a cut needs one bool per event"), std::string::npos)
        << jagged_cut;
    const auto not_objects = failure([](Analysis& a) { a.selectObjects("G", sumOfMuonPt()); });
    EXPECT_NE(not_objects.find("not a collection"), std::string::npos) << not_objects;

    Analysis analysis(*dataset);
    SnapshotSpec spec;
    spec.path = dir.file("out.root");
    spec.branches = {"Muon_pT"};
    analysis.snapshot(spec);
    const auto glob = messageOf([&] { analysis.run(); });
    EXPECT_NE(glob.find("no column matches 'Muon_pT' — did you mean 'Muon_pt'?"), std::string::npos)
        << glob;
    EXPECT_EQ(dir.contents(), std::vector<std::string>{"in.root"});
}

TEST(Analysis, FailureDuringTheRunLeavesNoOutput) {
    TempDir dir;
    enginetest::writeSample(enginetest::makeSample(1000, 3), dir.file("in.root"), 100);
    const auto dataset = Dataset::open({dir.file("in.root")}, "Events");
    Analysis analysis(*dataset);
    analysis.filter("explodes", Computation::function("boom", {"event"}, [](const ColumnBatch& b) {
                        if (b.num_entries > 0 && b.first_entry >= 500)
                            throw UsageError("boom at " + std::to_string(b.first_entry));
                        Column keep(DType::Bool);
                        for (std::int64_t i = 0; i < b.num_entries; ++i) keep.append(true);
                        return keep;
                    }));
    SnapshotSpec spec;
    spec.path = dir.file("out.root");
    analysis.snapshot(spec);
    RunOptions options;
    options.unit_bytes = 1;
    const auto message = messageOf([&] { analysis.run(options); });
    EXPECT_NE(message.find("boom at "), std::string::npos) << message;  // 500 or a later unit
    EXPECT_EQ(dir.contents(), std::vector<std::string>{"in.root"});
}

}  // namespace
}  // namespace hepflow
