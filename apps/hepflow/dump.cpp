// `hepflow dump FILE:TREE`: the values of the selected branches, one line per entry, as JSON
// Lines or CSV. Entries are read in bounded chunks so a large tree streams through memory.
#include <algorithm>
#include <limits>
#include <map>
#include <ostream>

#include <fmt/format.h>

#include "commands.h"
#include "output.h"

namespace hepflow::cli {
namespace {

// Entries per read: enough to amortise a vectored read, small enough for wide trees.
constexpr std::int64_t kEntriesPerChunk = 10000;

std::vector<const root::TBranch*> selectBranches(const root::Tree& tree,
                                                 const std::vector<std::string>& globs) {
    std::vector<const root::TBranch*> selected;
    std::vector<bool> glob_used(globs.size(), false);
    for (const root::TBranch* branch : tree.branches()) {
        bool wanted = globs.empty();
        for (std::size_t i = 0; i < globs.size(); ++i) {
            if (globMatch(globs[i], branch->fName) || globMatch(globs[i], branch->path)) {
                wanted = true;
                glob_used[i] = true;
            }
        }
        if (!wanted) continue;
        const auto& info = tree.branchInfo(*branch);
        const bool no_data = info.interpretation != nullptr &&
                             info.interpretation->kind() == root::InterpretationKind::NoData;
        // With no globs, show what can be shown; a branch asked for by name must be read.
        if (globs.empty() && (no_data || info.interpretation == nullptr)) continue;
        if (!no_data) selected.push_back(branch);
    }
    const auto fail = [&](std::string message) {
        UsageError error(std::move(message));
        error.at(tree.file().url(), tree.path());
        throw error;
    };
    for (std::size_t i = 0; i < globs.size(); ++i)
        if (!glob_used[i]) fail(fmt::format("no branch matches '{}'", globs[i]));
    if (selected.empty()) fail("no branch with data selected");
    return selected;
}

// Column names: the branch name, or its path when names repeat (split collections).
std::vector<std::string> columnNames(const std::vector<const root::TBranch*>& branches) {
    std::map<std::string, int> uses;
    for (const auto* branch : branches) ++uses[branch->fName];
    std::vector<std::string> names;
    std::map<std::string, int> taken;
    for (const auto* branch : branches) {
        std::string name = uses[branch->fName] > 1 ? branch->path : branch->fName;
        if (const int n = taken[name]++; n > 0) name += fmt::format("#{}", n + 1);
        names.push_back(std::move(name));
    }
    return names;
}

std::string jsonText(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string csvCell(const nlohmann::json& value) {
    std::string text = value.is_string() ? value.get<std::string>() : jsonText(value);
    if (value.is_number() || value.is_boolean()) return text;
    if (text.find_first_of(",\"\n\r[{") == std::string::npos) return text;
    std::string quoted = "\"";
    for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

}  // namespace

void runDump(const DumpOptions& options, std::ostream& out) {
    const auto [file_name, tree_path] = parseFileSpec(options.spec);
    if (tree_path.empty())
        throw UsageError(fmt::format("dump needs FILE:TREE, got '{}'", options.spec));
    const auto range = parseEntryRange(options.entries);
    const auto file = root::RootFile::open(file_name);
    const auto tree = root::Tree::open(*file, tree_path);
    const auto branches = selectBranches(*tree, options.branches);
    const auto names = columnNames(branches);

    // Rows every selected branch has (branches may hold more entries than the tree says).
    std::int64_t available = std::numeric_limits<std::int64_t>::max();
    for (const auto* branch : branches)
        available = std::min(available, tree->branchInfo(*branch).num_entries);
    const std::int64_t end = range.end < 0 ? available : std::min(range.end, available);

    if (options.format == DumpFormat::Csv) {
        out << "entry";
        for (const auto& name : names) out << ',' << csvCell(name);
        out << '\n';
    }
    for (std::int64_t chunk = range.begin; chunk < end; chunk += kEntriesPerChunk) {
        const std::int64_t chunk_end = std::min(end, chunk + kEntriesPerChunk);
        const auto columns = tree->readBranches(branches, chunk, chunk_end);
        for (std::int64_t entry = chunk; entry < chunk_end; ++entry) {
            const std::int64_t row = entry - chunk;
            if (options.format == DumpFormat::Csv) {
                out << entry;
                for (const auto& column : columns) out << ',' << csvCell(entryJson(column, row));
            } else {
                out << "{\"entry\":" << entry;
                for (std::size_t i = 0; i < columns.size(); ++i)
                    out << ',' << jsonText(names[i]) << ':' << jsonText(entryJson(columns[i], row));
                out << '}';
            }
            out << '\n';
        }
    }
}

}  // namespace hepflow::cli
