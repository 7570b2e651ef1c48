// A small NanoAOD-like sample for the engine tests: random muons (pt, eta, charge) and MET per
// event, kept in memory for hand-written reference loops and written with TreeWriter in
// fixed-size clusters so that a dataset of it has many work units.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frame/columns/column.h"

namespace hepflow::enginetest {

struct Sample {
    std::vector<std::uint64_t> event;
    std::vector<float> met;
    std::vector<std::vector<float>> muon_pt;
    std::vector<std::vector<float>> muon_eta;
    std::vector<std::vector<std::int32_t>> muon_charge;

    std::size_t size() const { return event.size(); }
};

// `events` events numbered from `first_event`, deterministic for a seed.
Sample makeSample(std::size_t events, std::uint64_t seed, std::uint64_t first_event = 0);

// Writes `sample` as tree "Events" (event/l, MET_pt/F, nMuon/I, Muon_pt/eta[nMuon]/F,
// Muon_charge[nMuon]/I) with a cluster every `cluster_entries` entries. `met_as_double`
// writes MET_pt as Float64 (a schema mismatch for the tests).
void writeSample(const Sample& sample, const std::string& path, std::int64_t cluster_entries = 100,
                 bool met_as_double = false);

// A jagged column from per-event lists.
template <class T>
frame::Column jaggedColumn(const std::vector<std::vector<T>>& rows) {
    frame::Column column(frame::dtypeOf<T>(), 1);
    for (const auto& row : rows) {
        for (const T value : row) column.append(value);
        column.offsets(0).push_back(column.offsets(0).back() +
                                    static_cast<std::int64_t>(row.size()));
    }
    return column;
}

template <class T>
frame::Column flatColumn(const std::vector<T>& values) {
    frame::Column column(frame::dtypeOf<T>());
    for (const T value : values) column.append(value);
    return column;
}

// A fresh temporary folder, removed with its contents at the end of the scope.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    const std::string& path() const { return path_; }
    // The names in the folder, sorted.
    std::vector<std::string> contents() const;

private:
    std::string path_;
};

}  // namespace hepflow::enginetest
