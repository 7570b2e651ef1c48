// The generate -> write pipeline of a NanoAOD-like sample: groups of chunks generated in
// parallel while the previous group goes through TreeWriter, in chunk order.
#include "physics/nanoaod_sample.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "common/error.h"
#include "root/writer/file_writer.h"
#include "root/writer/tree_writer.h"

namespace hepflow::physics {
namespace {

using Clock = std::chrono::steady_clock;

// Chunks generated per group and thread: enough work for every core per group, while two
// groups (~1 MB of columns per chunk) stay small.
constexpr std::int64_t kChunksPerThread = 2;
constexpr std::int64_t kMaxChunksPerGroup = 64;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of the calling thread: a chunk is generated on one thread, so this is its cost
// even when the cores are shared with the writer's compression or other programs.
std::int64_t threadCpuNanoseconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

}  // namespace

NanoAodSampleReport writeNanoAodSample(const std::string& path,
                                       const NanoAodSampleOptions& options) {
    if (options.events < 0)
        throw UsageError(fmt::format("cannot generate {} events", options.events)).at(path);
    const auto start = Clock::now();
    const NanoAodGenerator generator(options.generator);
    const std::int64_t events = options.events;
    const std::int64_t num_chunks = (events + kNanoAodChunkEvents - 1) / kNanoAodChunkEvents;
    const std::int64_t threads = std::max(1, tbb::this_task_arena::max_concurrency());
    const std::int64_t group_chunks =
        std::clamp<std::int64_t>(kChunksPerThread * threads, 1, kMaxChunksPerGroup);

    // CPU nanoseconds of generation summed over all threads.
    std::atomic<std::int64_t> generate_ns{0};
    const auto generateGroup = [&](std::int64_t first_chunk) {
        const std::int64_t end_chunk = std::min(num_chunks, first_chunk + group_chunks);
        std::vector<frame::ColumnBatch> batches(static_cast<std::size_t>(end_chunk - first_chunk));
        tbb::parallel_for(first_chunk, end_chunk, [&](std::int64_t chunk) {
            const std::int64_t chunk_start = threadCpuNanoseconds();
            const std::int64_t n =
                std::min(kNanoAodChunkEvents, events - chunk * kNanoAodChunkEvents);
            batches[static_cast<std::size_t>(chunk - first_chunk)] =
                generator.generateChunk(chunk, n);
            generate_ns += threadCpuNanoseconds() - chunk_start;
        });
        return batches;
    };

    root::FileWriteOptions file_options;
    file_options.compression = options.compression;
    file_options.reproducible = true;
    auto file = root::FileWriter::create(path, file_options);
    root::TreeWriter tree(*file, root::FileWriter::kTopDirectory, "Events", "Events",
                          generator.branchSpecs());

    double write_seconds = 0.0;
    std::int64_t written = 0;
    std::vector<frame::ColumnBatch> current;
    if (num_chunks > 0) current = generateGroup(0);
    tbb::task_group ahead;
    for (std::int64_t group = 0; group < num_chunks; group += group_chunks) {
        std::vector<frame::ColumnBatch> next;
        const std::int64_t next_group = group + group_chunks;
        if (next_group < num_chunks) ahead.run([&] { next = generateGroup(next_group); });
        try {
            for (const auto& batch : current) {
                const auto write_start = Clock::now();
                tree.write(batch);
                write_seconds += secondsSince(write_start);
                written += batch.num_entries;
                if (options.progress) options.progress(written);
            }
        } catch (...) {
            // The generating task references this frame: let it end before unwinding.
            ahead.cancel();
            try {
                ahead.wait();
            } catch (...) {
                // The writer's error is the one to report.
            }
            throw;
        }
        ahead.wait();
        current = std::move(next);
    }
    const auto close_start = Clock::now();
    tree.close();
    file->commit();
    write_seconds += secondsSince(close_start);

    NanoAodSampleReport report;
    report.events = events;
    std::error_code size_error;
    const auto size = std::filesystem::file_size(path, size_error);
    report.file_bytes = size_error ? 0 : size;
    report.seconds = secondsSince(start);
    report.generate_seconds = static_cast<double>(generate_ns.load()) * 1e-9;
    report.write_seconds = write_seconds;
    return report;
}

}  // namespace hepflow::physics
