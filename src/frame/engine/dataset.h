// A dataset: one tree in a list of files (globs expanded), seen as one table of named columns
// (schema from the first file, checked against the others) and cut into work units: entry
// ranges that follow the tree's clusters and hold a few MB of the columns a job needs, so
// that memory stays bounded and units can be read and processed in parallel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "frame/columns/column.h"
#include "root/root_file.h"
#include "root/tree/tree.h"
#include "root/writer/tree_writer.h"

namespace hepflow::frame::engine {

// Uncompressed bytes of the needed columns per work unit: large enough to amortise a vectored
// read and the per-batch work, small enough that a few units per thread fit in little memory.
inline constexpr std::int64_t kDefaultUnitBytes = 8 << 20;
// At most this many entries per work unit (a cluster holding more stays whole): expressions
// hold every number as 8 bytes whatever its stored width, so for a job reading a few narrow
// columns the byte target alone gave units of a million entries and intermediates of 8 MB each
// (two 4-byte counters: 106 MB peak RSS at 1 thread, half the run clearing fresh pages).
inline constexpr std::int64_t kMaxUnitEntries = 1 << 17;

// One column of the dataset (a branch of the tree, named as tree_columns.h names it).
struct DatasetColumn {
    std::string name;
    DType dtype = DType::Float64;
    std::size_t levels = 0;   // Column::levels(): strings include their character level
    std::string branch_path;  // in the first file
    // How a snapshot writes it (name, counter, layout); nullopt when it cannot be written,
    // and then `unwritable` says why.
    std::optional<root::BranchSpec> spec;
    std::string unwritable;
};

// Entries [begin, end) of the tree in file `file`.
struct WorkUnit {
    std::size_t file = 0;
    std::int64_t begin = 0;
    std::int64_t end = 0;
    // Compressed bytes of the on-disk baskets a read of the unit's columns fetches.
    std::int64_t compressed_bytes = 0;
};

class Dataset {
public:
    // Expands `inputs` (files or globs; each glob's matches sorted; duplicates dropped), opens
    // every file and its tree `tree_path` and checks that each has the first file's columns
    // with the same types. Throws UsageError naming the input for a missing file or a glob
    // without match, the file for a missing tree or a column mismatch; IoError/FormatError for
    // unreadable files.
    static std::unique_ptr<Dataset> open(const std::vector<std::string>& inputs,
                                         std::string tree_path);
    ~Dataset();
    Dataset(const Dataset&) = delete;
    Dataset& operator=(const Dataset&) = delete;

    const std::vector<std::string>& files() const { return files_; }
    const std::string& treePath() const { return tree_path_; }
    // The readable columns, in the first file's branch order (branches without values of their
    // own, or that hepflow cannot decode, or a second branch of an existing name are left out).
    const std::vector<DatasetColumn>& columns() const { return columns_; }
    // Null when there is no such column.
    const DatasetColumn* findColumn(std::string_view name) const;
    // The column holding the number of values per entry of the counted-array column `name`
    // (NanoAOD's "nJet" for "Jet_pt"), the same in every file; "" when there is none (a flat
    // column, a std::vector, or no column of that name).
    std::string counterColumn(std::string_view name) const;
    // Entries of all files.
    std::int64_t numEntries() const;
    const root::Tree& tree(std::size_t file) const;

    // Work units covering every entry of every file in order, cut at entries where every basket
    // of the named columns starts (cluster boundaries), each about `target_bytes` uncompressed
    // of those columns (a cluster far larger than that is split) and at most kMaxUnitEntries
    // entries (unless one cluster holds more). Throws UsageError for a name that is not a
    // column.
    std::vector<WorkUnit> workUnits(std::span<const std::string> columns,
                                    std::int64_t target_bytes = kDefaultUnitBytes) const;

    // Bytes the inputs' sources have returned so far, over every reader of this dataset
    // (metadata read by open() included; vectored reads count the small gaps they bridge).
    std::uint64_t bytesFetched() const;

    // The named columns over one unit (one vectored read, parallel decoding). Thread-safe.
    ColumnBatch read(const WorkUnit& unit, std::span<const std::string> columns) const;
    // Only the unit's rows `rows` (increasing, counted from unit.begin): a batch of rows.size()
    // entries. Baskets are fetched and decompressed as above, but only these rows decoded.
    ColumnBatch read(const WorkUnit& unit, std::span<const std::string> columns,
                     std::span<const std::int64_t> rows) const;

private:
    ColumnBatch readUnit(const WorkUnit& unit, std::span<const std::string> columns,
                         std::optional<std::span<const std::int64_t>> rows) const;
    struct Input;
    Dataset() = default;
    std::size_t columnIndex(std::string_view name) const;

    std::vector<std::string> files_;
    std::string tree_path_;
    std::vector<DatasetColumn> columns_;
    std::vector<std::unique_ptr<Input>> inputs_;  // parallel to files_
};

// Expands files and globs as Dataset::open does (exposed for the CLI and tests).
std::vector<std::string> expandInputs(const std::vector<std::string>& inputs);

}  // namespace hepflow::frame::engine
