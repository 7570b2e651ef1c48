// Helpers shared by the benchmark programs: the reporter that prints each pair's throughput
// ratio (ours / the baseline measured in the same run) after Google Benchmark's own output, a
// main() that uses it, and generated column data.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "common/huge_pages.h"
#include "common/memory_tuning.h"

namespace hepflow::bench {

// Two registered runs (their names as Google Benchmark prints them, without "/real_time") whose
// bytes/s are compared. target 0 means the ratio is informative only.
struct RatioPair {
    std::string label;
    std::string mine;
    std::string baseline;
    double target = 0;
};

// Keeps each run's bytes/s (the median when --benchmark_repetitions is given, otherwise the
// single run) and prints the ratios of the pairs once everything ran.
class RatioReporter : public benchmark::ConsoleReporter {
public:
    explicit RatioReporter(std::vector<RatioPair> pairs) : pairs_(std::move(pairs)) {}

    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
            if (run.run_type != Run::RT_Iteration && !median) continue;
            const auto it = run.counters.find("bytes_per_second");
            if (it == run.counters.end()) continue;
            std::string name = run.run_name.str();
            if (const auto at = name.rfind("/real_time"); at != std::string::npos) name.erase(at);
            if (median || !medians_.contains(name)) bytes_per_second_[name] = it->second;
            if (median) medians_.insert(name);
        }
        ConsoleReporter::ReportRuns(runs);
    }

    void printRatios() const {
        fmt::print("\n{:<56} {:>10} {:>10} {:>7} {:>7}\n", "pair", "MB/s", "base MB/s", "ratio",
                   "target");
        for (const RatioPair& p : pairs_) {
            const auto a = bytes_per_second_.find(p.mine);
            const auto b = bytes_per_second_.find(p.baseline);
            if (a == bytes_per_second_.end() || b == bytes_per_second_.end()) continue;
            const double ratio = a->second / b->second;
            const std::string target = p.target > 0 ? fmt::format("{:.2f}", p.target) : "-";
            fmt::print("{:<56} {:>10.1f} {:>10.1f} {:>7.2f} {:>7}{}\n", p.label, a->second / 1e6,
                       b->second / 1e6, ratio, target,
                       p.target > 0 && ratio < p.target ? "  BELOW" : "");
        }
    }

private:
    std::vector<RatioPair> pairs_;
    std::map<std::string, double> bytes_per_second_;
    std::set<std::string> medians_;
};

// Allocator settings as the CLI runs with them: huge pages for the heap (a restart, see
// common/huge_pages.h), and freed memory kept (glibc would hand every freed multi-megabyte
// buffer back to the kernel, and a benchmark that allocates per iteration would then measure
// a page fault per 4 KiB instead of the work). HEPFLOW_BENCH_GLIBC_DEFAULTS=1 keeps glibc's
// own settings (and 4 KiB pages).
inline void allocateAsTheCliDoes(char** argv) {
    if (std::getenv("HEPFLOW_BENCH_GLIBC_DEFAULTS") != nullptr) return;
    hepflow::restartWithHugePages(argv);
    hepflow::keepFreedMemoryForReuse();
}

// The body of each benchmark program's main(): runs what the command line selects, then prints
// the ratios of `pairs`.
inline int runWithRatios(int argc, char** argv, std::vector<RatioPair> pairs) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    RatioReporter reporter(std::move(pairs));
    benchmark::RunSpecifiedBenchmarks(&reporter);
    reporter.printRatios();
    benchmark::Shutdown();
    return 0;
}

// Big-endian floats of a falling spectrum in 0.01 steps, like a pT column (compresses like real
// data: neither like noise nor like constants).
inline std::vector<std::byte> floatColumn(std::size_t n_bytes, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::exponential_distribution<float> pt(1.0f / 30.0f);
    std::vector<std::byte> out(n_bytes);
    for (std::size_t i = 0; i + 4 <= n_bytes; i += 4) {
        const float v = std::round(pt(rng) * 100.0f) / 100.0f;
        std::uint32_t bits;
        std::memcpy(&bits, &v, 4);
        for (std::size_t k = 0; k < 4; ++k)
            out[i + k] = static_cast<std::byte>(bits >> (24 - 8 * k));
    }
    return out;
}

}  // namespace hepflow::bench
