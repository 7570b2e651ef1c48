// Dataset: input expansion, schema from the first file checked against the others, work
// units along cluster boundaries, and reads of a unit's columns.
#include "frame/engine/dataset.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <unordered_map>
#include <variant>

#include <fmt/format.h>
#include <glob.h>

#include "common/error.h"
#include "frame/engine/tree_columns.h"

namespace hepflow::frame::engine {
namespace {

// Clusters up to this many uncompressed bytes of the needed columns stay whole, even when over
// the unit target: a cut inside a cluster re-reads one basket of every branch (measured: +15%
// bytes read on ROOT's default ~32 MB clusters), while a few such clusters per thread still fit
// in little memory.
constexpr double kMaxWholeClusterBytes = 64 << 20;

bool isGlob(std::string_view text) {
    return text.find_first_of("*?[") != std::string_view::npos;
}
bool isUrl(std::string_view text) {
    return text.find("://") != std::string_view::npos;
}

std::vector<std::string> globMatches(const std::string& pattern) {
    glob_t found{};
    const int status = ::glob(pattern.c_str(), 0, nullptr, &found);  // sorted by glob
    std::vector<std::string> matches;
    if (status == 0)
        for (std::size_t i = 0; i < found.gl_pathc; ++i) matches.emplace_back(found.gl_pathv[i]);
    globfree(&found);
    if (status != 0 && status != GLOB_NOMATCH)
        throw IoError(fmt::format("cannot expand '{}' (glob error {})", pattern, status));
    return matches;
}

std::string describeType(DType dtype, std::size_t levels) {
    const std::size_t jagged = dtype == DType::String ? levels - 1 : levels;
    std::string text(dtypeName(dtype));
    for (std::size_t i = 0; i < jagged; ++i) text += "[]";
    return text;
}

}  // namespace

struct Dataset::Input {
    std::unique_ptr<root::RootFile> file;
    std::unique_ptr<root::Tree> tree;
    std::vector<const root::TBranch*> branches;  // parallel to columns_
};

Dataset::~Dataset() = default;

std::vector<std::string> expandInputs(const std::vector<std::string>& inputs) {
    std::vector<std::string> files;
    std::set<std::string> seen;
    const auto add = [&](std::string file) {
        if (seen.insert(file).second) files.push_back(std::move(file));
    };
    for (const auto& input : inputs) {
        if (isUrl(input)) {
            add(input);
        } else if (isGlob(input)) {
            const auto matches = globMatches(input);
            if (matches.empty()) throw UsageError(fmt::format("no input file matches '{}'", input));
            for (const auto& match : matches) add(match);
        } else {
            std::error_code error;
            if (!std::filesystem::is_regular_file(input, error))
                throw UsageError(fmt::format("input file '{}' does not exist", input));
            add(input);
        }
    }
    if (files.empty()) throw UsageError("no input files");
    return files;
}

std::unique_ptr<Dataset> Dataset::open(const std::vector<std::string>& inputs,
                                       std::string tree_path) {
    std::unique_ptr<Dataset> dataset(new Dataset());
    dataset->files_ = expandInputs(inputs);
    dataset->tree_path_ = std::move(tree_path);
    for (const auto& path : dataset->files_) {
        auto input = std::make_unique<Input>();
        input->file = root::RootFile::open(path);
        try {
            input->tree = root::Tree::open(*input->file, dataset->tree_path_);
        } catch (Error& e) {
            e.at(path);
            throw;
        }
        dataset->inputs_.push_back(std::move(input));
    }

    // The schema: the first file's readable columns.
    auto& first = *dataset->inputs_.front();
    std::set<std::string> names;
    for (const root::TBranch* branch : first.tree->branches()) {
        const auto& info = first.tree->branchInfo(*branch);
        if (info.interpretation == nullptr ||
            info.interpretation->kind() == root::InterpretationKind::NoData)
            continue;
        const Column shape = info.interpretation->makeColumn();
        if (shape.dtype() == DType::Struct) continue;
        DatasetColumn column;
        column.name = columnName(*first.tree, *branch);
        if (!names.insert(column.name).second) continue;  // a second "Particle": first wins
        column.dtype = shape.dtype();
        column.levels = shape.levels();
        column.branch_path = branch->path;
        auto spec = branchSpecFor(*first.tree, *branch, root::JaggedLayout::Counted,
                                  root::CompressionSetting{});
        if (auto* why = std::get_if<std::string>(&spec))
            column.unwritable = *why;
        else
            column.spec = std::get<root::BranchSpec>(std::move(spec));
        dataset->columns_.push_back(std::move(column));
        first.branches.push_back(branch);
    }

    // Every other file must have the same columns with the same types.
    for (std::size_t f = 1; f < dataset->inputs_.size(); ++f) {
        auto& input = *dataset->inputs_[f];
        std::unordered_map<std::string, const root::TBranch*> by_name;
        for (const root::TBranch* branch : input.tree->branches()) {
            const auto& info = input.tree->branchInfo(*branch);
            if (info.interpretation == nullptr ||
                info.interpretation->kind() == root::InterpretationKind::NoData)
                continue;
            by_name.emplace(columnName(*input.tree, *branch), branch);
        }
        for (const auto& column : dataset->columns_) {
            const auto found = by_name.find(column.name);
            if (found == by_name.end())
                throw UsageError(fmt::format("column '{}' of {} is missing", column.name,
                                             dataset->files_.front()))
                    .at(dataset->files_[f], input.tree->path());
            const Column shape =
                input.tree->branchInfo(*found->second).interpretation->makeColumn();
            if (shape.dtype() != column.dtype || shape.levels() != column.levels)
                throw UsageError(fmt::format("column '{}' is {} here but {} in {}", column.name,
                                             describeType(shape.dtype(), shape.levels()),
                                             describeType(column.dtype, column.levels),
                                             dataset->files_.front()))
                    .at(dataset->files_[f], input.tree->path());
            input.branches.push_back(found->second);
        }
    }
    return dataset;
}

const DatasetColumn* Dataset::findColumn(std::string_view name) const {
    for (const auto& column : columns_)
        if (column.name == name) return &column;
    return nullptr;
}

std::string Dataset::counterColumn(std::string_view name) const {
    const DatasetColumn* column = findColumn(name);
    if (column == nullptr) return {};
    const auto index = static_cast<std::size_t>(column - columns_.data());
    std::string counter;
    for (const auto& input : inputs_) {
        const root::TBranch* branch = input->tree->branchInfo(*input->branches[index]).counter;
        if (branch == nullptr) return {};
        std::string found = columnName(*input->tree, *branch);
        const DatasetColumn* counter_column = findColumn(found);
        if (counter_column == nullptr || counter_column->levels != 0 ||
            (!counter.empty() && found != counter))
            return {};
        counter = std::move(found);
    }
    return counter;
}

std::size_t Dataset::columnIndex(std::string_view name) const {
    for (std::size_t i = 0; i < columns_.size(); ++i)
        if (columns_[i].name == name) return i;
    throw UsageError(fmt::format("no column '{}' in the dataset", name))
        .at(files_.front(), tree_path_);
}

std::int64_t Dataset::numEntries() const {
    std::int64_t total = 0;
    for (const auto& input : inputs_) total += input->tree->numEntries();
    return total;
}

const root::Tree& Dataset::tree(std::size_t file) const {
    HEPFLOW_ASSERT(file < inputs_.size(), "file index out of range");
    return *inputs_[file]->tree;
}

std::vector<WorkUnit> Dataset::workUnits(std::span<const std::string> columns,
                                         std::int64_t target_bytes) const {
    HEPFLOW_ASSERT(target_bytes > 0, "work units need a positive size");
    std::vector<std::size_t> indices;
    for (const auto& name : columns) indices.push_back(columnIndex(name));

    std::vector<WorkUnit> units;
    for (std::size_t f = 0; f < inputs_.size(); ++f) {
        const auto& input = *inputs_[f];
        const std::int64_t entries = input.tree->numEntries();
        if (entries <= 0) continue;
        // Cluster boundaries: entries where a basket of every needed branch starts. Inside a
        // cluster, the basket starts of the largest needed branch are the next best cuts.
        std::set<std::int64_t> boundaries;
        std::set<std::int64_t> largest_starts;
        std::int64_t bytes = 0;
        std::int64_t largest_bytes = -1;
        bool first_branch = true;
        for (const std::size_t index : indices) {
            const auto& info = input.tree->branchInfo(*input.branches[index]);
            bytes += info.uncompressed_bytes;
            std::set<std::int64_t> starts;
            for (const auto& basket : info.baskets)
                if (first_branch || boundaries.count(basket.first_entry) != 0)
                    starts.insert(basket.first_entry);
            boundaries = std::move(starts);
            first_branch = false;
            if (info.uncompressed_bytes > largest_bytes) {
                largest_bytes = info.uncompressed_bytes;
                largest_starts.clear();
                for (const auto& basket : info.baskets) largest_starts.insert(basket.first_entry);
            }
        }
        boundaries.insert(0);
        boundaries.insert(entries);
        const double bytes_per_entry =
            std::max(1.0, static_cast<double>(bytes) / static_cast<double>(entries));
        const auto target_entries = std::clamp<std::int64_t>(
            static_cast<std::int64_t>(static_cast<double>(target_bytes) / bytes_per_entry), 1,
            kMaxUnitEntries);

        std::vector<std::int64_t> cuts{0};
        for (auto it = std::next(boundaries.begin()); it != boundaries.end(); ++it) {
            const std::int64_t cut = std::min(*it, entries);
            if (cut <= cuts.back()) continue;
            const std::int64_t next = std::next(it) == boundaries.end() ? entries : *std::next(it);
            // Close the unit at this boundary when adding the next cluster would pass the target.
            if (cut != entries && next - cuts.back() <= target_entries) continue;
            const std::int64_t start = cuts.back();
            const double span_bytes = static_cast<double>(cut - start) * bytes_per_entry;
            // A cluster far over the target is split, at basket starts of the largest branch
            // where it has them (the baskets of other branches at a cut are read by both units,
            // which costs less than holding the whole cluster in memory).
            if (span_bytes > 2.0 * static_cast<double>(target_bytes) &&
                span_bytes > kMaxWholeClusterBytes) {
                std::vector<std::int64_t> candidates;
                for (auto c = largest_starts.upper_bound(start);
                     c != largest_starts.end() && *c < cut; ++c)
                    candidates.push_back(*c);
                if (candidates.size() < 2) {  // one basket per cluster: even pieces
                    candidates.clear();
                    const std::int64_t pieces =
                        std::max<std::int64_t>(1, (cut - start) / target_entries);
                    for (std::int64_t p = 1; p < pieces; ++p)
                        candidates.push_back(start + (cut - start) * p / pieces);
                }
                for (const std::int64_t candidate : candidates)
                    if (candidate - cuts.back() >= target_entries) cuts.push_back(candidate);
            }
            cuts.push_back(cut);
        }
        for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
            WorkUnit unit{f, cuts[i], cuts[i + 1], 0};
            for (const std::size_t index : indices)
                for (const auto& basket : input.tree->branchInfo(*input.branches[index]).baskets)
                    if (basket.onDisk() && basket.first_entry < unit.end &&
                        basket.first_entry + basket.num_entries > unit.begin)
                        unit.compressed_bytes += basket.bytes;
            units.push_back(unit);
        }
    }
    return units;
}

ColumnBatch Dataset::read(const WorkUnit& unit, std::span<const std::string> columns) const {
    return readUnit(unit, columns, std::nullopt);
}

ColumnBatch Dataset::read(const WorkUnit& unit, std::span<const std::string> columns,
                          std::span<const std::int64_t> rows) const {
    return readUnit(unit, columns, rows);
}

std::uint64_t Dataset::bytesFetched() const {
    std::uint64_t bytes = 0;
    for (const auto& input : inputs_) bytes += input->file->source().stats().snapshot().bytes;
    return bytes;
}

ColumnBatch Dataset::readUnit(const WorkUnit& unit, std::span<const std::string> columns,
                              std::optional<std::span<const std::int64_t>> rows) const {
    HEPFLOW_ASSERT(unit.file < inputs_.size(), "work unit of an unknown file");
    const auto& input = *inputs_[unit.file];
    std::vector<const root::TBranch*> branches;
    for (const auto& name : columns) branches.push_back(input.branches[columnIndex(name)]);
    ColumnBatch batch;
    batch.first_entry = unit.begin;
    batch.num_entries = rows ? static_cast<std::int64_t>(rows->size()) : unit.end - unit.begin;
    if (branches.empty()) return batch;
    auto values = rows ? input.tree->readBranches(branches, unit.begin, unit.end, *rows)
                       : input.tree->readBranches(branches, unit.begin, unit.end);
    for (std::size_t i = 0; i < values.size(); ++i)
        batch.columns.emplace_back(std::string(columns[i]), std::move(values[i]));
    return batch;
}

}  // namespace hepflow::frame::engine
