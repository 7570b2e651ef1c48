// Cost of hepflow's local byte source over the system call it wraps: 1 MiB reads from a
// page-cached temporary file through LocalFileSource::readInto against a plain pread() loop,
// and readv of 16 adjacent 64 KiB ranges (merged and not) against 16 preads into fresh
// buffers; all in the same run, each ratio printed at the end.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "common/memory_tuning.h"
#include "io/local_file_source.h"

namespace {

namespace fs = std::filesystem;
using hepflow::io::LocalFileSource;
using hepflow::io::ReadRange;

constexpr std::uint64_t kBlock = 1 << 20;
// Large enough to defeat the CPU caches, small enough to stay in the page cache of a small VM.
constexpr std::uint64_t kFileSize = 64 * kBlock;
constexpr std::uint64_t kSubRanges = 16;

// Written once before the benchmarks run, so every read comes from the page cache.
const std::string& benchFile() {
    static const std::string path = [] {
        const std::string p =
            (fs::temp_directory_path() / fmt::format("hepflow_io_bench_{}.bin", ::getpid()))
                .string();
        std::vector<char> bytes(kFileSize);
        for (std::uint64_t i = 0; i < kFileSize; ++i) bytes[i] = static_cast<char>(i * 7 % 251);
        std::ofstream(p, std::ios::binary)
            .write(bytes.data(), static_cast<std::streamsize>(kFileSize));
        return p;
    }();
    return path;
}

void preadLoop(benchmark::State& state) {
    const int fd = ::open(benchFile().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        state.SkipWithError("cannot open the benchmark file");
        return;
    }
    std::vector<std::byte> buffer(kBlock);
    std::uint64_t offset = 0;
    for (auto _ : state) {
        std::size_t done = 0;
        while (done < kBlock) {
            const ssize_t got =
                ::pread(fd, buffer.data() + done, kBlock - done, static_cast<off_t>(offset + done));
            if (got <= 0) break;
            done += static_cast<std::size_t>(got);
        }
        benchmark::DoNotOptimize(buffer.data());
        offset = (offset + kBlock) % kFileSize;
    }
    ::close(fd);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBlock));
}

void localFileSourceReadInto(benchmark::State& state) {
    LocalFileSource source(benchFile());
    std::vector<std::byte> buffer(kBlock);
    std::uint64_t offset = 0;
    for (auto _ : state) {
        source.readInto({offset, kBlock}, buffer);
        benchmark::DoNotOptimize(buffer.data());
        offset = (offset + kBlock) % kFileSize;
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBlock));
}

// The same 1 MiB as 16 preads of 64 KiB into fresh buffers: what a caller of readv would do
// by hand, paying the same allocations, so that the ratio isolates coalescing and slicing.
void preadFreshBuffers(benchmark::State& state) {
    const int fd = ::open(benchFile().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        state.SkipWithError("cannot open the benchmark file");
        return;
    }
    constexpr std::uint64_t kSub = kBlock / kSubRanges;
    std::uint64_t offset = 0;
    for (auto _ : state) {
        std::vector<std::vector<std::byte>> buffers(kSubRanges);
        for (std::uint64_t i = 0; i < kSubRanges; ++i) {
            buffers[i].resize(kSub);
            std::size_t done = 0;
            while (done < kSub) {
                const ssize_t got = ::pread(fd, buffers[i].data() + done, kSub - done,
                                            static_cast<off_t>(offset + i * kSub + done));
                if (got <= 0) break;
                done += static_cast<std::size_t>(got);
            }
        }
        benchmark::DoNotOptimize(buffers.data());
        offset = (offset + kBlock) % kFileSize;
    }
    ::close(fd);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBlock));
}

// The same 16 ranges through readv: with the default limits, one merged 1 MiB request sliced
// into the returned buffers; with merging off (range(0) == 0), 16 preads straight into them.
void localFileSourceReadv(benchmark::State& state) {
    LocalFileSource source(benchFile());
    if (state.range(0) == 0) source.setCoalesceLimits({.max_gap = 0, .max_request = 0});
    constexpr std::uint64_t kSub = kBlock / kSubRanges;
    std::vector<ReadRange> ranges(kSubRanges);
    std::uint64_t offset = 0;
    for (auto _ : state) {
        for (std::uint64_t i = 0; i < kSubRanges; ++i) ranges[i] = {offset + i * kSub, kSub};
        auto buffers = source.readv(ranges);
        benchmark::DoNotOptimize(buffers.data());
        offset = (offset + kBlock) % kFileSize;
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBlock));
}

BENCHMARK(preadLoop)->Name("BM_PreadLoop_1MiB");
BENCHMARK(localFileSourceReadInto)->Name("BM_LocalFileSourceReadInto_1MiB");
BENCHMARK(preadFreshBuffers)->Name("BM_PreadFreshBuffers_16x64KiB");
BENCHMARK(localFileSourceReadv)->Name("BM_LocalFileSourceReadv_16x64KiB")->Arg(1);
BENCHMARK(localFileSourceReadv)->Name("BM_LocalFileSourceReadvUnmerged_16x64KiB")->Arg(0);

// Each kernel and the baseline it is compared with.
constexpr std::pair<const char*, const char*> kPairs[] = {
    {"BM_LocalFileSourceReadInto_1MiB", "BM_PreadLoop_1MiB"},
    {"BM_LocalFileSourceReadv_16x64KiB", "BM_PreadFreshBuffers_16x64KiB"},
    {"BM_LocalFileSourceReadvUnmerged_16x64KiB", "BM_PreadFreshBuffers_16x64KiB"},
};

// The console output plus, at the end, each kernel's throughput relative to its baseline.
class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& run : runs) {
            const auto rate = run.counters.find("bytes_per_second");
            if (run.error_occurred || rate == run.counters.end()) continue;
            // With --benchmark_repetitions, the median stands for the benchmark.
            if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
            bytes_per_second_[run.run_name.function_name] = rate->second.value;
        }
    }
    void Finalize() override {
        ConsoleReporter::Finalize();
        auto& out = GetOutputStream();
        out << "\nthroughput, kernel vs baseline (same run):\n";
        for (const auto& [kernel, baseline] : kPairs) {
            const auto k = bytes_per_second_.find(kernel);
            const auto b = bytes_per_second_.find(baseline);
            if (k == bytes_per_second_.end() || b == bytes_per_second_.end() || b->second <= 0) {
                continue;
            }
            out << "  " << kernel << " " << k->second / kGiB << " GiB/s vs " << baseline << " "
                << b->second / kGiB << " GiB/s: ratio " << k->second / b->second << "\n";
        }
    }

private:
    static constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
    std::map<std::string, double> bytes_per_second_;
};

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    // glibc adapts its trim and mmap thresholds after the first large free, so whether a
    // benchmark's fresh buffers come back from the kernel as new pages (about 16 us each on
    // the 2-core VM) depended on which benchmark ran before. Fixing them measures every
    // benchmark in the steady state of a long-running reader.
    hepflow::keepFreedMemoryForReuse();
    benchFile();
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    fs::remove(benchFile());
    return 0;
}
