// The NanoAOD-like generator's speed. Chunk generation on one thread (events/s per core)
// against its floor: the same number of raw xoshiro256++ draws plus a memcpy of the chunk's
// output bytes; and the whole `writeNanoAodSample` path (generate + TreeWriter + zstd:5 or no
// compression, all threads) against generating the same events without writing them. Ratios
// are of bytes/s of uncompressed columns, equal to the ratios of events/s (also printed).
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include "bench_support.h"
#include "physics/nanoaod_generator.h"
#include "physics/nanoaod_sample.h"
#include "physics/random.h"

namespace {

namespace fs = std::filesystem;
using hepflow::physics::kNanoAodChunkEvents;
using hepflow::physics::NanoAodGenerator;

// Chunks cycled through by the per-core benchmarks (different events each time).
constexpr std::int64_t kChunks = 16;
// Events of the whole-path benchmarks: ~5 MB per 100k events at zstd:5.
constexpr std::int64_t kSampleEvents = 200000;

std::int64_t batchBytes(const hepflow::frame::ColumnBatch& batch) {
    std::int64_t bytes = 0;
    for (const auto& [name, column] : batch.columns) {
        bytes += static_cast<std::int64_t>(column.bytes().size());
        for (std::size_t level = 0; level < column.levels(); ++level)
            bytes += static_cast<std::int64_t>(column.offsets(level).size() * sizeof(std::int64_t));
    }
    return bytes;
}

// What one chunk costs at least: its random draws and its output bytes, measured once.
struct ChunkFloor {
    std::uint64_t draws = 0;  // per chunk, averaged over kChunks
    std::int64_t bytes = 0;
};

const ChunkFloor& chunkFloor() {
    static const ChunkFloor floor = [] {
        const NanoAodGenerator generator({});
        ChunkFloor f;
        std::uint64_t draws = 0;
        for (std::int64_t c = 0; c < kChunks; ++c)
            f.bytes += batchBytes(generator.generateChunk(c, kNanoAodChunkEvents, &draws));
        f.draws = draws / kChunks;
        f.bytes /= kChunks;
        return f;
    }();
    return floor;
}

void generateChunk(benchmark::State& state) {
    const NanoAodGenerator generator({});
    std::int64_t chunk = 0;
    for (auto _ : state) {
        auto batch = generator.generateChunk(chunk, kNanoAodChunkEvents);
        benchmark::DoNotOptimize(batch.columns.data());
        chunk = (chunk + 1) % kChunks;
    }
    state.SetItemsProcessed(state.iterations() * kNanoAodChunkEvents);
    state.SetBytesProcessed(state.iterations() * chunkFloor().bytes);
}

void rawDrawsAndMemcpy(benchmark::State& state) {
    const ChunkFloor& floor = chunkFloor();
    std::vector<std::byte> source(static_cast<std::size_t>(floor.bytes), std::byte{1});
    std::vector<std::byte> target(source.size());
    hepflow::physics::Xoshiro256pp engine(1, 0);
    for (auto _ : state) {
        std::uint64_t sum = 0;
        for (std::uint64_t i = 0; i < floor.draws; ++i) sum += engine.next();
        benchmark::DoNotOptimize(sum);
        std::memcpy(target.data(), source.data(), source.size());
        benchmark::DoNotOptimize(target.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * kNanoAodChunkEvents);
    state.SetBytesProcessed(state.iterations() * floor.bytes);
    state.counters["draws_per_event"] =
        static_cast<double>(floor.draws) / static_cast<double>(kNanoAodChunkEvents);
    state.counters["bytes_per_event"] =
        static_cast<double>(floor.bytes) / static_cast<double>(kNanoAodChunkEvents);
}

// Uncompressed column bytes of the kSampleEvents events (estimated from the measured chunks):
// the write path's "bytes processed", the same for it and its baseline.
std::int64_t sampleBytes() {
    return chunkFloor().bytes * kSampleEvents / kNanoAodChunkEvents;
}

std::string scratchPath() {
    return (fs::temp_directory_path() / fmt::format("hepflow_generate_bench_{}.root", getpid()))
        .string();
}

// The whole path; arg = ROOT compression setting (0 none, 505 zstd:5).
void writeSample(benchmark::State& state) {
    const std::string path = scratchPath();
    hepflow::physics::NanoAodSampleOptions options;
    options.events = kSampleEvents;
    options.compression =
        hepflow::root::CompressionSetting::fromRoot(static_cast<int>(state.range(0)));
    double generate_seconds = 0, write_seconds = 0;
    std::uint64_t file_bytes = 0;
    for (auto _ : state) {
        const auto report = hepflow::physics::writeNanoAodSample(path, options);
        generate_seconds += report.generate_seconds;
        write_seconds += report.write_seconds;
        file_bytes = report.file_bytes;
    }
    fs::remove(path);
    state.SetItemsProcessed(state.iterations() * kSampleEvents);
    state.SetBytesProcessed(state.iterations() * sampleBytes());
    const auto n = static_cast<double>(state.iterations());
    state.counters["generate_s"] = generate_seconds / n;
    state.counters["write_s"] = write_seconds / n;
    state.counters["file_MB"] = static_cast<double>(file_bytes) / 1e6;
}

// The same events generated on all threads and dropped: the write path's floor.
void generateOnly(benchmark::State& state) {
    const NanoAodGenerator generator({});
    const std::int64_t chunks = (kSampleEvents + kNanoAodChunkEvents - 1) / kNanoAodChunkEvents;
    for (auto _ : state) {
        tbb::parallel_for(std::int64_t{0}, chunks, [&](std::int64_t c) {
            const auto n = std::min(kNanoAodChunkEvents, kSampleEvents - c * kNanoAodChunkEvents);
            auto batch = generator.generateChunk(c, n);
            benchmark::DoNotOptimize(batch.columns.data());
        });
    }
    state.SetItemsProcessed(state.iterations() * kSampleEvents);
    state.SetBytesProcessed(state.iterations() * sampleBytes());
}

// ---------------------------------------------------------------- registration and ratios

std::vector<hepflow::bench::RatioPair> registerAll() {
    std::vector<hepflow::bench::RatioPair> pairs;
    benchmark::RegisterBenchmark("generateChunk/1thread", generateChunk)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("rawDraws+memcpy/1thread", rawDrawsAndMemcpy)
        ->Unit(benchmark::kMillisecond);
    pairs.push_back({"generateChunk vs raw draws + memcpy (per core)", "generateChunk/1thread",
                     "rawDraws+memcpy/1thread"});
    for (const int setting : {505, 0}) {
        benchmark::RegisterBenchmark("writeNanoAodSample", writeSample)
            ->Arg(setting)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond)
            ->Iterations(2);
        pairs.push_back({fmt::format("writeNanoAodSample ({}) vs generate only",
                                     setting == 0 ? "none" : "zstd:5"),
                         fmt::format("writeNanoAodSample/{}/iterations:2", setting),
                         "generateOnly/iterations:2"});
    }
    benchmark::RegisterBenchmark("generateOnly", generateOnly)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(2);
    return pairs;
}

}  // namespace

int main(int argc, char** argv) {
    return hepflow::bench::runWithRatios(argc, argv, registerAll());
}
