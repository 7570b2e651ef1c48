// The `hepflow copy` cases shared by the copy tests (hepflow reads the copy back) and the JSROOT
// cross-check (JSROOT reads it): one per tree of tests/data that has something writable, with
// the branch selection, entry range and options each needs, and the check that a copy holds the
// source's values under the documented output names.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hepflow::copycheck {

struct CopyCase {
    std::string name;                // test name
    std::string file;                // in tests/data
    std::string tree;                // key path of the tree in the file (and in the copy)
    std::vector<std::string> globs;  // -b: the branches to copy; empty = all
    std::vector<std::string> args;   // more `hepflow copy` arguments: --compression, ...
    std::int64_t begin = 0;          // --entries begin:end, end -1 = all
    std::int64_t end = -1;
    // Selected branches the copy must leave out, which needs --skip-unwritable in `args`:
    // objects (and unreadable branches), plus `not_writable`, values the writer cannot express.
    int unwritable = 0;
    std::vector<std::string> not_writable;  // paths
};

const std::vector<CopyCase>& copyCases();

// GoogleTest prints a parameter with this: the case's name, not its bytes.
inline void PrintTo(const CopyCase& copy_case, std::ostream* out) {
    *out << copy_case.name;
}

// `hepflow copy` argv after the program: copy FILE:TREE OUT [--entries A:B] args...
std::vector<std::string> copyArguments(const CopyCase& copy_case, const std::string& output);

// The source tree's statistics as the copy must reproduce them, read by hepflow over the
// case's entry range and keyed by the name each branch gets in the copy (the rules of
// `hepflow copy --help`: dimensions dropped, '.' -> '_', a collection's size branch "n" +
// name). Only selected branches with data that are not objects; `unwritable` counts those.
struct ExpectedCopy {
    std::int64_t entries = 0;
    std::vector<std::pair<std::string, nlohmann::json>> branches;  // name -> statistics
    int unwritable = 0;
};
ExpectedCopy expectedCopy(const CopyCase& copy_case);

// The differences between `copy`, one tree's record of a stats dump of the copy (hepflow's
// or JSROOT's), and what the copy must hold. Branches the writer added (counters of arrays
// whose counter was not copied) must count the items of a copied array.
std::vector<std::string> compareCopy(const ExpectedCopy& expected, const nlohmann::json& copy);

// The tree record with this path in a stats dump, or null.
const nlohmann::json* findTree(const nlohmann::json& dump, const std::string& path);

}  // namespace hepflow::copycheck
