// Writes a generated NanoAOD-like sample to a ROOT file: chunks generated in parallel on oneTBB,
// written in order through TreeWriter (the next group of chunks is generated while the current
// one is compressed and written), so the file's bytes depend on the seed only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "physics/nanoaod_generator.h"
#include "root/compression/compression.h"

namespace hepflow::physics {

struct NanoAodSampleOptions {
    std::int64_t events = 100000;  // >= 0
    NanoAodGeneratorOptions generator;
    root::CompressionSetting compression{root::CompressionAlgorithm::Zstd, 5};
    // Called on the calling thread after each chunk is written, with the events written so
    // far; may be empty.
    std::function<void(std::int64_t)> progress;
};

struct NanoAodSampleReport {
    std::int64_t events = 0;
    std::uint64_t file_bytes = 0;
    double seconds = 0;           // wall time of the whole call
    double generate_seconds = 0;  // CPU time spent generating chunks, summed over threads
    double write_seconds = 0;     // wall time the calling thread spent in the writer
};

// Writes `path` (tree "Events", reproducible FileWriter: fixed dates and UUIDs, so the same
// seed gives a byte-identical file). The file appears only when complete (temporary name +
// rename). Throws UsageError for negative `events` or bad fractions, IoError from the writer.
NanoAodSampleReport writeNanoAodSample(const std::string& path,
                                       const NanoAodSampleOptions& options);

}  // namespace hepflow::physics
