// The golden test: `hepflow stats` (cli::fileStats) against the JSROOT reference dump in
// tests/data/expected.json, one test per file. Every branch the reference gives values,
// strings or members for must match (counts, min, max and first values exactly, sums to a
// relative 1e-9); branches the reference marks as having no data must have none in hepflow
// too; branches JSROOT could not read or misreads are checked another way. The rules live in
// tests/jsroot/stats_compare.h, shared with the live JSROOT cross-check and the copy tests.
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "harness.h"
#include "root/root_file.h"
#include "stats_compare.h"
#include "support/test_support.h"

namespace hepflow {
namespace {

using nlohmann::json;

// The full reference: every branch of expected.json with values, strings or members, over
// every file. If expected.json or the data shrink, CoversTheWholeReference fails; each file's
// test fails when it checks fewer branches than its part of this.
constexpr int kReferenceFiles = 18;
constexpr int kReferenceTrees = 19;
constexpr int kReferenceBranches = 1690;

class GoldenStats : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenStats, MatchesJsroot) {
    const std::string name = GetParam();
    const json& expected = test::expectedJson().at("files").at(name);
    std::unique_ptr<root::RootFile> file;
    json actual;
    try {
        file = root::RootFile::open(test::dataPath(name));
        actual = cli::fileStats(*file);
    } catch (const std::exception& e) {
        FAIL() << name << ": hepflow stats failed: " << e.what();
    }
    const auto comparison = statscheck::compareFile(name, *file, expected, actual);
    std::cout << "[ golden   ] " << name << ": " << comparison.summary() << "\n";
    EXPECT_EQ(comparison.tally.branches, comparison.reference_branches)
        << "branches checked in " << name;
    if (!comparison.failures.empty()) {
        std::string list;
        std::set<std::string> branches;
        for (const auto& line : comparison.failures) {
            list += "  " + line + "\n";
            branches.insert(line.substr(0, line.find(": ")));
        }
        ADD_FAILURE() << name << ": " << branches.size() << " branches differ from JSROOT:\n"
                      << list;
    }
}

INSTANTIATE_TEST_SUITE_P(Files, GoldenStats, ::testing::ValuesIn(test::expectedFileNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             return jsroot::testNameOf(info.param);
                         });

TEST(GoldenReference, CoversTheWholeReference) {
    int files = 0, trees = 0, branches = 0;
    for (const auto& [name, dump] : test::expectedJson().at("files").items()) {
        ++files;
        EXPECT_TRUE(std::filesystem::exists(test::dataPath(name))) << name;
        for (const auto& tree : dump.at("trees")) {
            ++trees;
            for (const auto& branch : tree.at("branches"))
                branches += statscheck::hasReferenceValues(branch);
        }
    }
    EXPECT_EQ(files, kReferenceFiles);
    EXPECT_EQ(trees, kReferenceTrees);
    EXPECT_EQ(branches, kReferenceBranches);
}

}  // namespace
}  // namespace hepflow
