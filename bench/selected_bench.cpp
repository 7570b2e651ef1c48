// Selective reads (Tree::readBranches with rows, what `hepflow reduce` does after each cut)
// against reading every row and then keeping the selected ones (filterRows, what it would do
// otherwise), and against the whole read alone, on one thread. The input is a generated,
// uncompressed NanoAOD sample so that decoding, not decompression, is what differs; 13% and 20%
// of the rows (a trigger, a lepton cut) are kept, at random. Every figure counts the kept
// values' bytes, so each ratio is a ratio of times.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include "bench_support.h"
#include "frame/kernels/jagged_kernels.h"
#include "physics/nanoaod_sample.h"
#include "root/root_file.h"
#include "root/tree/tree.h"

namespace {

namespace fs = std::filesystem;
using hepflow::frame::Column;
using hepflow::root::RootFile;
using hepflow::root::TBranch;
using hepflow::root::Tree;

constexpr std::int64_t kEvents = 400000;
// Jagged floats of three collections and a flat one, as an analysis reads after its cuts.
const char* const kBranches[] = {"Jet_pt",  "Jet_eta",  "Jet_phi", "Jet_mass",
                                 "Muon_pt", "Muon_eta", "MET_pt"};

struct Sample {
    std::unique_ptr<RootFile> file;
    std::unique_ptr<Tree> tree;
    std::vector<const TBranch*> branches;
};

Sample& sample() {
    static Sample opened = [] {
        const fs::path path = fs::temp_directory_path() / "hepflow-bench-selected.root";
        hepflow::physics::NanoAodSampleOptions options;
        options.events = kEvents;
        options.generator.seed = 3;
        options.compression = {};  // uncompressed
        hepflow::physics::writeNanoAodSample(path.string(), options);
        Sample s;
        s.file = RootFile::open(path.string());
        s.tree = Tree::open(*s.file, "Events");
        for (const char* name : kBranches) s.branches.push_back(s.tree->findBranch(name));
        fs::remove(path);  // the open file keeps its data
        return s;
    }();
    return opened;
}

struct Selection {
    std::vector<std::int64_t> rows;
    std::vector<std::uint8_t> keep;
    std::int64_t kept_bytes = 0;
};

const Selection& selection(int percent) {
    static std::map<int, Selection> made;
    auto [it, fresh] = made.try_emplace(percent);
    if (!fresh) return it->second;
    Selection& s = it->second;
    std::mt19937_64 random(static_cast<std::uint64_t>(percent));
    s.keep.resize(kEvents);
    for (std::int64_t row = 0; row < kEvents; ++row)
        if (static_cast<int>(random() % 100) < percent) {
            s.rows.push_back(row);
            s.keep[static_cast<std::size_t>(row)] = 1;
        }
    for (const Column& column : sample().tree->readBranches(sample().branches, 0, kEvents, s.rows))
        s.kept_bytes += static_cast<std::int64_t>(column.bytes().size());
    return s;
}

enum class Way { Selective, WholeThenFilter, Whole };

void run(benchmark::State& state, Way way) {
    const auto& s = sample();
    const Selection& chosen = selection(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        if (way == Way::Selective) {
            auto columns = s.tree->readBranches(s.branches, 0, kEvents, chosen.rows);
            benchmark::DoNotOptimize(columns.data());
        } else {
            auto columns = s.tree->readBranches(s.branches, 0, kEvents);
            if (way == Way::WholeThenFilter)
                for (Column& column : columns)
                    column = hepflow::frame::kernels::filterRows(column, chosen.keep);
            benchmark::DoNotOptimize(columns.data());
        }
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * chosen.kept_bytes);
}

}  // namespace

int main(int argc, char** argv) {
    hepflow::bench::allocateAsTheCliDoes(argv);
    // Per-core cost: readBranches would otherwise decode baskets on every core.
    tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
    const std::pair<const char*, Way> ways[] = {{"BM_selective", Way::Selective},
                                                {"BM_whole_then_filter", Way::WholeThenFilter},
                                                {"BM_whole", Way::Whole}};
    for (const auto& [name, way] : ways)
        benchmark::RegisterBenchmark(name, [way](benchmark::State& s) { run(s, way); })
            ->Arg(13)
            ->Arg(20)
            ->Unit(benchmark::kMillisecond);
    std::vector<hepflow::bench::RatioPair> pairs;
    for (const char* percent : {"13", "20"}) {
        const std::string selective = std::string("BM_selective/") + percent;
        pairs.push_back({std::string(percent) + "% of rows: selective / whole then filterRows",
                         selective, std::string("BM_whole_then_filter/") + percent, 1.0});
        pairs.push_back({std::string(percent) + "% of rows: selective / whole read alone",
                         selective, std::string("BM_whole/") + percent});
    }
    return hepflow::bench::runWithRatios(argc, argv, std::move(pairs));
}
