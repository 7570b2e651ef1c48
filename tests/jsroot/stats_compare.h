// Compares hepflow's per-branch statistics (`hepflow stats --json`, cli::fileStats) with a
// reference dump of the same file in the same JSON shape: JSROOT's rootdump, stored
// (tests/data/expected.json) or run live. Shared by the golden test, the live JSROOT harness
// and the copy tests, so that all of them apply one set of rules and one list of exceptions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "root/root_file.h"

namespace hepflow::statscheck {

using nlohmann::json;

// The differences found in one branch, as readable "where: what" lines.
struct Diff {
    std::vector<std::string> lines;
    void add(const std::string& where, const std::string& what) {
        lines.push_back(where + ": " + what);
    }
};

// `object[key]`, or null when it is absent (or `object` is not an object).
json get(const json& object, const char* key);
// A JSON value for a message; "(missing)" for null.
std::string show(const json& value);
// Whether a reference branch record has values, strings or members to compare.
bool hasReferenceValues(const json& branch);
// The values of a branch record: values, strings and members, counted.
std::int64_t countValues(const json& branch);

// The statistics part of a branch record (values, strings, members, lengths_first,
// entries_read): counts, min, max and first values exactly, sums to a relative 1e-9.
// `expected` is the reference, `actual` the record under test.
void compareBranchValues(const json& expected, const json& actual, Diff& diff);

struct Tally {
    int trees = 0;
    int branches = 0;     // reference branches with values, strings or members
    int no_data = 0;      // reference branches without data of their own
    int alternative = 0;  // checked another way (JSROOT cannot read them, or reads them wrong)
    std::int64_t values = 0;
};

struct FileComparison {
    std::vector<std::string> failures;  // "tree:branch: what", "keys: ...", ...
    Tally tally;
    int reference_branches = 0;  // branches with values in the reference's trees

    // "N trees, N branches with values (N values), ..." for the test log.
    std::string summary() const;
};

// Compares one file's dump (`reference`) with hepflow's statistics of it (`stats`): the
// compression setting, the keys, and every tree and branch of the reference (metadata and
// values). `file` is the file itself, opened to read the values of branches the reference
// cannot be trusted on. `check_name` selects the file's entries in the table of alternative
// checks: the test-data name ("uproot-sample-6.20.04-zlib.root"), also for copies of it.
FileComparison compareFile(const std::string& check_name, const root::RootFile& file,
                           const json& reference, const json& stats);

}  // namespace hepflow::statscheck
