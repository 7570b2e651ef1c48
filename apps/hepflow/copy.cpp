// `hepflow copy IN[:TREE] OUT.root`: rewrites (a subset of) one tree with the ROOT writer,
// reading entry chunks with Tree::readBranches and writing them with TreeWriter; the next chunk
// is read while the current one is compressed. Delphes-style split collections come out flat,
// NanoAOD style (Jet/Jet.PT -> Jet_PT counted by nJet). The output appears only when complete.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <ostream>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include "commands.h"
#include "common/error.h"
#include "frame/engine/tree_columns.h"
#include "output.h"
#include "root/compression/compression_spec.h"
#include "root/writer/file_writer.h"
#include "root/writer/tree_writer.h"

namespace hepflow::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Uncompressed bytes per read: large enough to amortise a vectored read and keep every core
// compressing, small enough that two chunks (one read ahead) stay well below a laptop's memory.
constexpr std::int64_t kChunkBytes = 64 << 20;
constexpr auto kProgressInterval = std::chrono::milliseconds(500);
// Unwritable branches named in a message before "and N more".
constexpr std::size_t kNamesShown = 8;

// ---------------------------------------------------------------- options

root::JaggedLayout parseJagged(std::string_view text) {
    if (text == "counted") return root::JaggedLayout::Counted;
    if (text == "vector") return root::JaggedLayout::Vector;
    throw UsageError(fmt::format("--jagged '{}': expected counted or vector", text));
}

// ---------------------------------------------------------------- what gets written

// A branch to copy: where it comes from and how it is written.
struct CopiedBranch {
    const root::TBranch* source = nullptr;
    root::BranchSpec spec;
};

// A branch that is selected but cannot be written, and why.
struct Unwritable {
    std::string path;
    std::string why;
};

bool matchesAny(const std::vector<std::string>& globs, const root::TBranch& branch,
                std::vector<bool>& glob_used) {
    bool matched = globs.empty();
    for (std::size_t i = 0; i < globs.size(); ++i) {
        if (globMatch(globs[i], branch.fName) || globMatch(globs[i], branch.path)) {
            matched = true;
            glob_used[i] = true;
        }
    }
    return matched;
}

std::string listUnwritable(const std::vector<Unwritable>& unwritable) {
    std::string text;
    for (std::size_t i = 0; i < std::min(unwritable.size(), kNamesShown); ++i)
        text += fmt::format("{}{} ({})", i == 0 ? "" : "; ", unwritable[i].path, unwritable[i].why);
    if (unwritable.size() > kNamesShown)
        text += fmt::format("; and {} more", unwritable.size() - kNamesShown);
    return text;
}

struct Selection {
    std::vector<CopiedBranch> branches;
    std::vector<Unwritable> unwritable;
};

Selection selectBranches(const root::Tree& tree, const CopyOptions& options,
                         root::JaggedLayout layout, root::CompressionSetting compression) {
    Selection selection;
    std::vector<bool> glob_used(options.branches.size(), false);
    for (const root::TBranch* branch : tree.branches()) {
        if (!matchesAny(options.branches, *branch, glob_used)) continue;
        const auto& info = tree.branchInfo(*branch);
        if (info.interpretation == nullptr) {
            selection.unwritable.push_back({branch->path, "unreadable: " + info.unsupported});
            continue;
        }
        // Parents of split objects hold no values; their members are branches of their own.
        if (info.interpretation->kind() == root::InterpretationKind::NoData) continue;
        auto spec = frame::engine::branchSpecFor(tree, *branch, layout, compression);
        if (auto* why = std::get_if<std::string>(&spec))
            selection.unwritable.push_back({branch->path, std::move(*why)});
        else
            selection.branches.push_back({branch, std::get<root::BranchSpec>(std::move(spec))});
    }
    for (std::size_t i = 0; i < options.branches.size(); ++i)
        if (!glob_used[i])
            throw UsageError(fmt::format("no branch matches '{}'", options.branches[i]))
                .at(tree.file().url(), tree.path());
    return selection;
}

// Two source branches written under one name (Delphes files may hold two collections of the
// same name) cannot both be copied; naming the paths lets the user leave one out with -b.
void checkNamesUnique(const root::Tree& tree, const std::vector<CopiedBranch>& branches) {
    std::map<std::string, std::vector<std::string>> sources;
    std::vector<std::string> order;  // names in tree order, as the user sees the branches
    for (const auto& copied : branches) {
        auto& paths = sources[copied.spec.name];
        if (paths.size() == 1) order.push_back(copied.spec.name);
        paths.push_back(copied.source->path);
    }
    if (order.empty()) return;
    std::string clashes;
    for (std::size_t i = 0; i < std::min(order.size(), kNamesShown); ++i)
        clashes += fmt::format("{}{} <- {}", i == 0 ? "" : "; ", order[i],
                               fmt::join(sources[order[i]], ", "));
    if (order.size() > kNamesShown)
        clashes += fmt::format("; and {} more", order.size() - kNamesShown);
    throw UsageError(fmt::format("{} output names would be used by several branches ({}); "
                                 "select one of each with -b",
                                 order.size(), clashes))
        .at(tree.file().url(), tree.path());
}

// ---------------------------------------------------------------- the copy

std::int64_t columnBytes(const frame::Column& column) {
    std::int64_t bytes = static_cast<std::int64_t>(column.bytes().size());
    for (std::size_t level = 0; level < column.levels(); ++level)
        bytes += static_cast<std::int64_t>(column.offsets(level).size() * sizeof(std::int64_t));
    for (const auto& [name, member] : column.members()) bytes += columnBytes(member);
    return bytes;
}

// One line on a terminal's stderr, rewritten in place every kProgressInterval; a copy that
// ends before the first interval prints nothing.
class Progress {
public:
    Progress(std::ostream& err, bool enabled, std::int64_t total)
        : err_(err), enabled_(enabled), total_(total), start_(Clock::now()), last_(start_) {}

    void update(std::int64_t entries, std::int64_t bytes) {
        if (!enabled_ || Clock::now() - last_ < kProgressInterval) return;
        last_ = Clock::now();
        print(entries, bytes);
    }
    // The final figures, ending the line (only when a line was shown).
    void finish(std::int64_t entries, std::int64_t bytes) {
        if (!shown_) return;
        print(entries, bytes);
        err_ << '\n' << std::flush;
    }

private:
    void print(std::int64_t entries, std::int64_t bytes) {
        const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
        err_ << fmt::format("\rhepflow copy: {}/{} entries ({:.0f}%), {:.1f} MB/s uncompressed",
                            entries, total_, total_ > 0 ? 100.0 * entries / total_ : 100.0,
                            seconds > 0 ? bytes / seconds / 1e6 : 0.0)
             << std::flush;
        shown_ = true;
    }

    std::ostream& err_;
    bool enabled_;
    bool shown_ = false;
    std::int64_t total_;
    Clock::time_point start_, last_;
};

// The tree to copy: the one named, or the file's only tree.
std::string treePathOf(const root::RootFile& file, const std::string& requested) {
    if (!requested.empty()) return requested;
    const auto trees = treeKeys(file);
    if (trees.size() == 1) return keySpec(trees.front());
    std::string names;
    for (const auto& entry : trees) names += (names.empty() ? "" : ", ") + entry.path;
    throw UsageError(trees.empty()
                         ? std::string("the file has no tree to copy")
                         : "the file has several trees (" + names + "): name one as FILE:TREE")
        .at(file.url());
}

}  // namespace

void runCopy(const CopyOptions& options, std::ostream& out, std::ostream& err) {
    const auto layout = parseJagged(options.jagged);
    const auto range = parseEntryRange(options.entries);
    const auto [file_name, requested_tree] = parseFileSpec(options.input);
    const auto file = root::RootFile::open(file_name);
    const auto compression = options.compression.empty()
                                 ? root::CompressionSetting::fromRoot(file->header().fCompress)
                                 : root::parseCompressionSpec(options.compression, "--compression");
    const auto tree = root::Tree::open(*file, treePathOf(*file, requested_tree));

    auto selection = selectBranches(*tree, options, layout, compression);
    checkNamesUnique(*tree, selection.branches);
    if (!selection.unwritable.empty()) {
        const std::string list = listUnwritable(selection.unwritable);
        if (!options.skip_unwritable)
            throw UsageError(fmt::format("{} selected branches cannot be written: {}. Leave them "
                                         "out with -b, or pass --skip-unwritable",
                                         selection.unwritable.size(), list))
                .at(file->url(), tree->path());
        err << fmt::format("hepflow: warning: skipping {} branches that cannot be written: {}\n",
                           selection.unwritable.size(), list);
    }
    if (selection.branches.empty())
        throw UsageError("no branch to copy").at(file->url(), tree->path());

    std::vector<const root::TBranch*> sources;
    std::vector<root::BranchSpec> specs;
    std::int64_t available = tree->numEntries();
    std::int64_t bytes_per_tree = 0;
    for (const auto& copied : selection.branches) {
        sources.push_back(copied.source);
        specs.push_back(copied.spec);
        const auto& info = tree->branchInfo(*copied.source);
        // An empty tree's branches may hold no basket at all; they do not limit anything.
        if (tree->numEntries() > 0) available = std::min(available, info.num_entries);
        bytes_per_tree += info.uncompressed_bytes;
    }
    if (range.begin > available)
        throw UsageError(
            fmt::format("--entries '{}': the tree has {} entries", options.entries, available))
            .at(file->url(), tree->path());
    const std::int64_t begin = range.begin;
    const std::int64_t end = range.end < 0 ? available : std::min(range.end, available);
    const std::int64_t bytes_per_entry =
        std::max<std::int64_t>(1, bytes_per_tree / std::max<std::int64_t>(1, available));
    const std::int64_t chunk_entries = std::max<std::int64_t>(1, kChunkBytes / bytes_per_entry);

    // The output keeps the tree's directory path, so OUT:dir/tree names it as IN did.
    const std::string key_path = tree->path().substr(0, tree->path().find(';'));
    const auto slash = key_path.rfind('/');
    const std::string directory = slash == std::string::npos ? "" : key_path.substr(0, slash);
    const std::string tree_name =
        slash == std::string::npos ? key_path : key_path.substr(slash + 1);

    const auto start = Clock::now();
    root::FileWriteOptions write_options;
    write_options.compression = compression;
    auto writer_file = root::FileWriter::create(options.output, write_options);
    root::TreeWriter writer(*writer_file, writer_file->directory(directory), tree_name,
                            tree->title(), specs);

    const auto read = [&](std::int64_t first) {
        return tree->readBranches(sources, first, std::min(end, first + chunk_entries));
    };
    // Reading ahead needs a second thread; with --threads 1 everything stays on one.
    const bool read_ahead =
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) > 1;
    Progress progress(err, options.progress, end - begin);
    std::int64_t bytes = 0;
    std::future<std::vector<frame::Column>> next;
    if (read_ahead && begin < end) next = std::async(std::launch::async, read, begin);
    for (std::int64_t first = begin; first < end; first += chunk_entries) {
        auto columns = read_ahead ? next.get() : read(first);
        const std::int64_t following = first + chunk_entries;
        if (read_ahead && following < end) next = std::async(std::launch::async, read, following);
        frame::ColumnBatch batch;
        batch.first_entry = first;
        batch.num_entries = std::min(end, following) - first;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            bytes += columnBytes(columns[i]);
            batch.columns.emplace_back(specs[i].name, std::move(columns[i]));
        }
        writer.write(batch);
        progress.update(std::min(end, following) - begin, bytes);
    }
    writer.close();
    writer_file->commit();
    progress.finish(end - begin, bytes);

    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const auto renamed = std::count_if(
        selection.branches.begin(), selection.branches.end(),
        [](const CopiedBranch& copied) { return copied.spec.name != copied.source->fName; });
    out << fmt::format(
        "copied {} entries of {} branches ({} renamed) from {}:{} to {}:{} ({}, {}) in {:.2f} "
        "s\n",
        end - begin, specs.size(), renamed, file_name, key_path, options.output, key_path,
        compressionName(compression.toRoot()),
        formatBytes(static_cast<std::int64_t>(std::filesystem::file_size(options.output))),
        seconds);
}

}  // namespace hepflow::cli
