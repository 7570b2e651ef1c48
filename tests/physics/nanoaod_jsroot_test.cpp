// JSROOT reads a generated NanoAOD-like file as hepflow does: the built `hepflow generate`
// writes it, then JSROOT (rootdump.mjs) and `hepflow stats --json` read it independently and
// every branch's statistics must agree (tests/jsroot's comparison rules).
#include <iostream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "root/root_file.h"
#include "stats_compare.h"

namespace hepflow {
namespace {

const jsroot::Tools kTools{HEPFLOW_BIN, HEPFLOW_NODE, HEPFLOW_ROOTDUMP};

TEST(GeneratedNanoAod, JsrootReadsItAsHepflowDoes) {
    jsroot::ScratchDir dir;
    const std::string path = dir.file("generated-nanoaod.root");
    // Two chunks and a partial one; zstd, the default.
    const auto generated = jsroot::runCommand(
        {kTools.hepflow, "generate", "nanoaod", "--events", "10000", "--seed", "17", "-o", path});
    ASSERT_EQ(generated.status, 0) << generated.err;

    nlohmann::json dump, stats;
    std::unique_ptr<root::RootFile> file;
    try {
        dump = jsroot::jsrootDump(kTools, path);
        stats = jsroot::hepflowStats(kTools, path);
        file = root::RootFile::open(path);
    } catch (const std::exception& e) {
        FAIL() << e.what();
    }
    const auto comparison = statscheck::compareFile("generated-nanoaod.root", *file, dump, stats);
    std::cout << "[ jsroot   ] generated-nanoaod.root: " << comparison.summary() << "\n";
    std::string list;
    for (const auto& line : comparison.failures) list += "  " + line + "\n";
    EXPECT_TRUE(comparison.failures.empty()) << "JSROOT and hepflow differ:\n" << list;
    EXPECT_EQ(comparison.tally.trees, 1);
    EXPECT_EQ(comparison.tally.branches, comparison.reference_branches);
    // All 54 branches have values in JSROOT's reading, 10000 entries each.
    EXPECT_EQ(comparison.reference_branches, 54);
    const auto& tree = dump.at("trees").at(0);
    EXPECT_EQ(tree.at("entries"), 10000);
}

}  // namespace
}  // namespace hepflow
