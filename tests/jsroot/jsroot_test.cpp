// The live JSROOT cross-check: for every ROOT file in tests/data, JSROOT (rootdump.mjs, run
// by node) and the built `hepflow stats --json` read the file independently and every branch
// must agree (stats_compare.h: the golden test's rules). The live dump must also equal the
// stored reference, tests/data/expected.json, which pins the JSROOT that wrote it. Then the
// same for every `hepflow copy` case: JSROOT must read the copy as hepflow does, with the
// source's values.
#include <functional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "copy_cases.h"
#include "harness.h"
#include "root/root_file.h"
#include "stats_compare.h"
#include "support/test_support.h"

namespace hepflow {
namespace {

using nlohmann::json;

const std::string kData = HEPFLOW_TESTDATA_DIR;
const jsroot::Tools kTools{HEPFLOW_BIN, HEPFLOW_NODE, HEPFLOW_ROOTDUMP};

// Fails the test with every difference listed, one per line.
void reportFailures(const std::string& what, const statscheck::FileComparison& comparison) {
    std::cout << "[ jsroot   ] " << what << ": " << comparison.summary() << "\n";
    if (comparison.failures.empty()) return;
    std::string list;
    for (const auto& line : comparison.failures) list += "  " + line + "\n";
    ADD_FAILURE() << what << ": " << comparison.failures.size()
                  << " differences between JSROOT and hepflow:\n"
                  << list;
}

// The top-level members of two dumps that differ, for a short failure message.
std::string differingMembers(const json& a, const json& b) {
    std::string names;
    for (const auto& [key, value] : a.items())
        if (!b.contains(key) || b.at(key) != value) names += " " + key;
    for (const auto& [key, value] : b.items())
        if (!a.contains(key)) names += " " + key;
    return names;
}

// The comparison must see a change in any statistic, branch or key (a check that cannot fail
// is worth nothing): the stored reference of a file against hepflow's stats, each altered.
TEST(StatsCompare, FindsEveryKindOfDifference) {
    const std::string name = "uproot-HZZ.root";
    const auto file = root::RootFile::open(test::dataPath(name));
    const json stats = cli::fileStats(*file);
    const json& reference = test::expectedJson().at("files").at(name);
    ASSERT_TRUE(statscheck::compareFile(name, *file, reference, stats).failures.empty());

    const auto failuresAfter = [&](const std::function<void(json&)>& change) {
        json altered = stats;
        change(altered);
        return statscheck::compareFile(name, *file, reference, altered).failures;
    };
    const auto branch = [](json& dump, int index) -> json& {
        return dump["trees"][0]["branches"][index];
    };
    // Branch 1 is Jet_Px (jagged float), 0 is NJet.
    const std::vector<std::pair<std::string, std::function<void(json&)>>> changes = {
        {"sum", [&](json& d) { branch(d, 1)["values"]["sum"] = 3434.92; }},
        {"count", [&](json& d) { branch(d, 1)["values"]["count"] = 2772; }},
        {"min", [&](json& d) { branch(d, 1)["values"]["min"] = -440.0; }},
        {"first", [&](json& d) { branch(d, 1)["values"]["first"][2] = 36.6; }},
        {"lengths_first", [&](json& d) { branch(d, 1)["lengths_first"][0] = 1; }},
        {"title", [&](json& d) { branch(d, 0)["title"] = "NJet/L"; }},
        {"read error", [&](json& d) { branch(d, 1)["error"] = "cannot"; }},
        {"missing branch", [&](json& d) { d["trees"][0]["branches"].erase(1); }},
        {"entries", [&](json& d) { d["trees"][0]["entries"] = 2420; }},
        {"key", [&](json& d) { d["keys"][0]["title"] = "renamed"; }},
        {"compression", [&](json& d) { d["compression"]["setting"] = 101; }},
        {"extra tree",
         [&](json& d) {
             json other = d["trees"][0];
             other["path"] = "other";
             d["trees"].push_back(other);
         }},
    };
    for (const auto& [what, change] : changes)
        EXPECT_FALSE(failuresAfter(change).empty()) << what << " went unnoticed";
}

class JsrootLive : public ::testing::TestWithParam<std::string> {};

TEST_P(JsrootLive, ReadsTheSameAsHepflow) {
    const std::string name = GetParam();
    const std::string path = test::dataPath(name);
    json dump, stats;
    std::unique_ptr<root::RootFile> file;
    try {
        dump = jsroot::jsrootDump(kTools, path);
        stats = jsroot::hepflowStats(kTools, path);
        file = root::RootFile::open(path);
    } catch (const std::exception& e) {
        FAIL() << name << ": " << e.what();
    }
    const auto comparison = statscheck::compareFile(name, *file, dump, stats);
    reportFailures(name, comparison);
    EXPECT_EQ(comparison.tally.branches, comparison.reference_branches);

    // The JSROOT installed by jsroot.setup reproduces the stored reference exactly, so the
    // golden test and this check agree on what "the reference" is.
    const json& stored = test::expectedJson().at("files");
    ASSERT_TRUE(stored.contains(name)) << name << " is not in tests/data/expected.json";
    EXPECT_TRUE(stored.at(name) == dump)
        << name << ": the live JSROOT dump differs from expected.json in:"
        << differingMembers(dump, stored.at(name));
}

INSTANTIATE_TEST_SUITE_P(TestData, JsrootLive, ::testing::ValuesIn(jsroot::rootFilesIn(kData)),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             return jsroot::testNameOf(info.param);
                         });

// Every stored reference file is checked live (the file list is the folder, not the
// reference, so a file added to tests/data without a reference fails above).
TEST(JsrootLiveCoverage, EveryTestFileIsChecked) {
    const auto files = jsroot::rootFilesIn(kData);
    EXPECT_EQ(files.size(), test::expectedJson().at("files").size());
    EXPECT_EQ(files.size(), 18u);
}

// ---------------------------------------------------------------- copies

class JsrootReadsCopies : public ::testing::TestWithParam<copycheck::CopyCase> {};

TEST_P(JsrootReadsCopies, WithTheSourceValues) {
    const auto& copy_case = GetParam();
    jsroot::ScratchDir dir;
    const std::string output = dir.file(copy_case.name + ".root");
    std::vector<std::string> command = copycheck::copyArguments(copy_case, output);
    command.insert(command.begin(), kTools.hepflow);
    const auto copied = jsroot::runCommand(command);
    ASSERT_EQ(copied.status, 0) << copied.err;

    json dump, stats;
    std::unique_ptr<root::RootFile> file;
    try {
        dump = jsroot::jsrootDump(kTools, output);
        stats = jsroot::hepflowStats(kTools, output);
        file = root::RootFile::open(output);
    } catch (const std::exception& e) {
        FAIL() << copy_case.name << ": " << e.what();
    }
    // JSROOT and hepflow read the copy alike (the source's name selects the same checks for
    // branches JSROOT cannot read, e.g. Char_t[3]) ...
    const auto comparison = statscheck::compareFile(copy_case.file, *file, dump, stats);
    reportFailures(copy_case.name + " (JSROOT vs hepflow on the copy)", comparison);
    ASSERT_EQ(comparison.tally.trees, 1);

    // ... and what JSROOT reads is what hepflow reads in the source. Branches JSROOT reports
    // as errors were checked another way by compareFile; hepflow's record stands in for them.
    json tree = *copycheck::findTree(dump, copy_case.tree);
    const json& hepflow_tree = *copycheck::findTree(stats, copy_case.tree);
    for (std::size_t i = 0; i < tree.at("branches").size(); ++i)
        if (tree["branches"][i].contains("error"))
            tree["branches"][i] = hepflow_tree["branches"][i];
    const auto failures = copycheck::compareCopy(copycheck::expectedCopy(copy_case), tree);
    std::string list;
    for (const auto& line : failures) list += "  " + line + "\n";
    EXPECT_TRUE(failures.empty()) << copy_case.name << ": JSROOT reads the copy differently "
                                  << "from the source:\n"
                                  << list;
}

INSTANTIATE_TEST_SUITE_P(Copies, JsrootReadsCopies, ::testing::ValuesIn(copycheck::copyCases()),
                         [](const ::testing::TestParamInfo<copycheck::CopyCase>& info) {
                             return info.param.name;
                         });

}  // namespace
}  // namespace hepflow
