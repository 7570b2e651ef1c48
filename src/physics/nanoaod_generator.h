// A NanoAOD-like event generator (docs/generator.md): Drell-Yan, W, ttbar-like and QCD multijet
// events with the branches of the CMS 2012 open-data NanoAOD (Events tree), physically shaped
// and smeared by a simple detector model. Events come in fixed chunks, each with its own random
// stream, so a sample is the same for a seed whatever the thread count or batching.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "frame/columns/column.h"
#include "root/writer/tree_writer.h"

namespace hepflow::physics {

// Events per chunk. Chunk c holds events [c * kNanoAodChunkEvents, (c + 1) * ...) and draws
// from the stream (seed, c): changing it changes every sample, so it is fixed.
inline constexpr std::int64_t kNanoAodChunkEvents = 4096;

// The processes, as written in the optional Generator_process branch.
enum class Process : std::int32_t {
    DrellYan = 1,  // Z/gamma* -> mu mu, e e, tau tau
    W = 2,         // W -> l nu (l = e, mu, tau)
    TTbar = 3,     // t tbar -> b W b W, any W decays
    Qcd = 4,       // multijet (with a few gamma + jet events)
};

// Relative weights of the processes (normalised by their sum; each >= 0, sum > 0).
struct ProcessFractions {
    double drell_yan = 0.25;
    double w = 0.25;
    double ttbar = 0.15;
    double qcd = 0.35;
};

struct NanoAodGeneratorOptions {
    std::uint64_t seed = 1;
    ProcessFractions fractions;
    // Adds an Int_t Generator_process branch (the Process of each event): truth labels for
    // tests and ML. Not part of the CMS schema, so off by default.
    bool process_branch = false;
};

class NanoAodGenerator {
public:
    // Throws UsageError for negative fractions or fractions summing to zero (or not finite).
    explicit NanoAodGenerator(NanoAodGeneratorOptions options);

    const NanoAodGeneratorOptions& options() const { return options_; }

    // The events of chunk `chunk_index`: the first `num_events` (1..kNanoAodChunkEvents) of
    // it, with first_entry = chunk_index * kNanoAodChunkEvents and columns in branchSpecs()
    // order. A shorter chunk is a prefix of the full one, so a sample of N events is a prefix
    // of any larger sample with the same seed. Thread-safe (const, no shared state).
    frame::ColumnBatch generateChunk(std::int64_t chunk_index, std::int64_t num_events) const;
    // The same, adding the number of 64-bit random draws used to *random_draws (the baseline
    // of the generator's benchmark: as many raw draws, no physics).
    frame::ColumnBatch generateChunk(std::int64_t chunk_index, std::int64_t num_events,
                                     std::uint64_t* random_draws) const;

    // The Events branches: flat event variables, then per collection its UInt_t counter
    // (nMuon) and the counted arrays (Muon_pt[nMuon], counter "nMuon").
    std::vector<root::BranchSpec> branchSpecs() const;

private:
    NanoAodGeneratorOptions options_;
    std::array<double, 4> cumulative_{};  // normalised cumulative fractions, in Process order
};

}  // namespace hepflow::physics
