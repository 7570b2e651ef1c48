// Helpers shared by the hepflow subcommands: FILE:TREE parsing, finding trees, branch
// summaries (type, interpretation, sizes), text tables, byte sizes, globs, and the JSON
// forms of column statistics and of one entry's value.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "frame/columns/column.h"
#include "frame/columns/column_stats.h"
#include "root/root_file.h"
#include "root/tree/tree.h"

namespace hepflow::cli {

// "FILE" or "FILE:TREE", split at the last ':'. The whole text is a file when such a file
// exists (local paths with ':' still work); in a URL only a ':' in the path separates.
struct FileSpec {
    std::string file;
    std::string object;  // empty when not given
};
FileSpec parseFileSpec(std::string_view text);

// `--entries A:B` of dump and copy: B excluded; "A:", ":B" and "" (all) allowed. Throws
// UsageError for anything else, negative numbers or B < A.
struct EntryRange {
    std::int64_t begin = 0;
    std::int64_t end = -1;  // -1: to the last entry
};
EntryRange parseEntryRange(std::string_view text);

bool isTreeClass(std::string_view class_name);
// Every TTree/TNtuple key of the file, in any directory, in key order.
std::vector<root::RootFile::KeyEntry> treeKeys(const root::RootFile& file);
// "path;cycle", the form RootFile::findKey and Tree::open take.
std::string keySpec(const root::RootFile::KeyEntry& entry);

// What show and stats print about one branch; no values are read.
struct BranchSummary {
    const root::TBranch* branch = nullptr;
    std::string class_name;      // TBranch, TBranchElement, ...
    std::string type;            // leaf types ("Int_t", "Float_t:Int_t") or the class
    std::string interpretation;  // "jagged: float32[nMuon]", or why hepflow cannot read it
    bool has_data = false;       // false: parent of split objects, or no entries at all
    bool readable = true;        // false: interpretBranch threw (interpretation says why)
    std::string no_data_note;    // why a readable branch has no data, in the reference's words
};
BranchSummary summarizeBranch(const root::Tree& tree, const root::TBranch& branch);

// "ZLIB(4)", "LZ4(4)", "none" for an fCompress setting; algorithm 0 is ROOT's default, ZLIB.
std::string compressionName(int setting);
std::string formatBytes(std::int64_t bytes);  // "1.2 MiB"
std::string formatRootVersion(int version);   // 60804 -> "6.08/04"
// fnmatch-style: '*', '?', '[abc]', '[!a-z]'; '/' is an ordinary character.
bool globMatch(std::string_view pattern, std::string_view text);

// Columns padded to the widest cell; the last column is not padded.
class TextTable {
public:
    void addRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
    void print(std::ostream& out, std::string_view indent = {}) const;

private:
    std::vector<std::vector<std::string>> rows_;
};

nlohmann::json statsJson(const frame::ColumnStats& stats);
// One entry (row) of a column as JSON: numbers, strings, lists for jagged levels, objects
// for Struct columns.
nlohmann::json entryJson(const frame::Column& column, std::int64_t entry);

}  // namespace hepflow::cli
