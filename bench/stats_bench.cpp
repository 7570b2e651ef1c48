// `hepflow stats` throughput on the CMS NanoAOD test file (200 events, 947 branches), on 1
// and 2 threads: the whole command (open, streamers, every branch decoded and summarised)
// and the decode of every branch of an already-open tree. The file is small, so each
// iteration replays it (the "replicated" input of the issue; a written multi-GB replica
// comes with the ROOT writer). Baseline in the same run: reading the same file's bytes.
#include <cstdio>
#include <fstream>
#include <vector>

#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include "commands.h"
#include "root/root_file.h"
#include "root/tree/tree.h"

namespace {

const std::string kNanoAod =
    std::string(HEPFLOW_TESTDATA_DIR) + "/nanoAOD_2015_CMS_Open_Data_ttbar.root";

std::int64_t uncompressedBytes(const hepflow::root::Tree& tree) {
    std::int64_t total = 0;
    for (const auto* branch : tree.branches()) total += tree.branchInfo(*branch).uncompressed_bytes;
    return total;
}

void setCounters(benchmark::State& state, std::int64_t events, std::int64_t bytes) {
    state.counters["events/s"] = benchmark::Counter(static_cast<double>(events),
                                                    benchmark::Counter::kIsIterationInvariantRate);
    state.SetBytesProcessed(state.iterations() * bytes);
}

// The whole `hepflow stats --json` pipeline per iteration.
void statsCommand(benchmark::State& state) {
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, state.range(0));
    auto probe = hepflow::root::RootFile::open(kNanoAod);
    auto tree = hepflow::root::Tree::open(*probe, "Events");
    const auto bytes = uncompressedBytes(*tree);
    for (auto _ : state) {
        auto file = hepflow::root::RootFile::open(kNanoAod);
        auto json = hepflow::cli::fileStats(*file);
        benchmark::DoNotOptimize(json);
    }
    setCounters(state, tree->numEntries(), bytes);
}

// Decoding every branch of an open tree with one readBranches call per iteration.
void decodeAllBranches(benchmark::State& state) {
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, state.range(0));
    auto file = hepflow::root::RootFile::open(kNanoAod);
    auto tree = hepflow::root::Tree::open(*file, "Events");
    std::vector<const hepflow::root::TBranch*> readable;
    for (const auto* branch : tree->branches())
        if (tree->branchInfo(*branch).interpretation) readable.push_back(branch);
    for (auto _ : state) {
        auto columns = tree->readBranches(readable);
        benchmark::DoNotOptimize(columns);
    }
    setCounters(state, tree->numEntries(), uncompressedBytes(*tree));
}

// Baseline: reading the file's bytes (page cache) in one pass.
void readFileBytes(benchmark::State& state) {
    std::ifstream in(kNanoAod, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
    for (auto _ : state) {
        std::FILE* f = std::fopen(kNanoAod.c_str(), "rb");
        const auto n = std::fread(bytes.data(), 1, bytes.size(), f);
        std::fclose(f);
        benchmark::DoNotOptimize(n);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}

BENCHMARK(statsCommand)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(decodeAllBranches)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(readFileBytes)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
