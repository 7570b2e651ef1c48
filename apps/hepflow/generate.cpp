// `hepflow generate nanoaod`: writes a NanoAOD-like sample (src/physics, docs/generator.md)
// with a progress line on a terminal and a one-line summary: events, file size, time, and the
// generation and writing rates measured separately.
#include <chrono>
#include <ostream>

#include <fmt/format.h>

#include "commands.h"
#include "common/error.h"
#include "output.h"
#include "physics/nanoaod_sample.h"
#include "root/compression/compression_spec.h"

namespace hepflow::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kProgressInterval = std::chrono::milliseconds(500);

}  // namespace

void runGenerate(const GenerateOptions& options, std::ostream& out, std::ostream& err) {
    if (options.kind != "nanoaod")
        throw UsageError(fmt::format("unknown sample type '{}' (known: nanoaod)", options.kind));
    if (options.events < 1)
        throw UsageError(fmt::format("--events {}: expected a positive number", options.events));
    if (options.output.empty()) throw UsageError("no output file (-o FILE)");

    physics::NanoAodSampleOptions sample;
    sample.events = options.events;
    sample.generator.seed = options.seed;
    sample.generator.process_branch = options.process_branch;
    sample.compression = root::parseCompressionSpec(options.compression, "--compression");

    const auto start = Clock::now();
    auto last = start;
    bool shown = false;
    const auto print = [&](std::int64_t done) {
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        err << fmt::format("\rhepflow generate: {}/{} events ({:.0f}%), {:.0f} events/s", done,
                           options.events, 100.0 * static_cast<double>(done) / options.events,
                           seconds > 0 ? done / seconds : 0.0)
            << std::flush;
        shown = true;
    };
    if (options.progress) {
        sample.progress = [&](std::int64_t done) {
            if (Clock::now() - last < kProgressInterval) return;
            last = Clock::now();
            print(done);
        };
    }
    const auto report = physics::writeNanoAodSample(options.output, sample);
    if (shown) {
        print(report.events);
        err << '\n' << std::flush;
    }

    const double per_core =
        report.generate_seconds > 0 ? report.events / report.generate_seconds : 0.0;
    out << fmt::format(
        "generated {} nanoaod events (seed {}) into {} ({}, {}) in {:.2f} s: {:.0f} events/s "
        "(generation {:.0f} events/s per core, writing {:.2f} s)\n",
        report.events, options.seed, options.output, compressionName(sample.compression.toRoot()),
        formatBytes(static_cast<std::int64_t>(report.file_bytes)), report.seconds,
        report.seconds > 0 ? report.events / report.seconds : 0.0, per_core, report.write_seconds);
}

}  // namespace hepflow::cli
