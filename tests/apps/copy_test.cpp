// Tests of `hepflow copy`, run in-process through runCli as a user types it: every copy case
// (tests/jsroot/copy_cases.h, one per tree of tests/data with something writable) must read
// back with the source's statistics under the documented names; options change what they say
// (compression, jagged layout, Delphes flattening); and failures exit non-zero, name the
// problem and leave no output, no temporary file and any existing output untouched.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "copy_cases.h"
#include "harness.h"
#include "root/root_file.h"
#include "root/tree/tree.h"
#include "run_cli.h"
#include "support/test_support.h"

namespace hepflow {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::CliResult;
using testing::runHepflow;

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void writeAll(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

json statsOf(const std::string& path) {
    const auto file = root::RootFile::open(path);
    return cli::fileStats(*file);
}

const json& treeOf(const json& stats, const std::string& path) {
    const json* tree = copycheck::findTree(stats, path);
    if (tree == nullptr) throw std::runtime_error("no tree " + path + " in " + stats.dump(1));
    return *tree;
}

const json& branchOf(const json& tree, const std::string& path) {
    for (const auto& branch : tree.at("branches"))
        if (branch.at("path") == path) return branch;
    throw std::runtime_error("no branch " + path);
}

// ---------------------------------------------------------------- every copy case

class CopyCases : public ::testing::TestWithParam<copycheck::CopyCase> {};

TEST_P(CopyCases, ReadsBackWithTheSourceValues) {
    const auto& copy_case = GetParam();
    jsroot::ScratchDir dir;
    const std::string output = dir.file("copy.root");
    const auto result = runHepflow(copycheck::copyArguments(copy_case, output));
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.out.find("copied"), std::string::npos) << result.out;
    EXPECT_EQ(dir.contents(), std::vector<std::string>{"copy.root"});

    const auto expected = copycheck::expectedCopy(copy_case);
    EXPECT_EQ(expected.unwritable, copy_case.unwritable);
    const std::string skipped = fmt::format("skipping {} branches", copy_case.unwritable);
    if (copy_case.unwritable > 0) {
        EXPECT_NE(result.err.find(skipped), std::string::npos) << result.err;
    } else {
        EXPECT_EQ(result.err, "");
    }
    ASSERT_FALSE(expected.branches.empty());

    json stats;
    try {
        stats = statsOf(output);
    } catch (const std::exception& e) {
        FAIL() << "hepflow cannot read the copy: " << e.what();
    }
    EXPECT_FALSE(stats.contains("errors")) << stats["errors"].dump();
    const json& tree = treeOf(stats, copy_case.tree);
    for (const auto& branch : tree.at("branches"))
        EXPECT_FALSE(branch.contains("error")) << branch.dump();
    const auto failures = copycheck::compareCopy(expected, tree);
    std::cout << fmt::format(
        "[ copy     ] {}: {} entries, {} branches copied, {} left out, "
        "{} in the copy; {} differences\n",
        copy_case.name, expected.entries, expected.branches.size(), expected.unwritable,
        tree.at("branches").size(), failures.size());
    std::string list;
    for (const auto& line : failures) list += "  " + line + "\n";
    EXPECT_TRUE(failures.empty()) << copy_case.name << ":\n" << list;
}

INSTANTIATE_TEST_SUITE_P(TestData, CopyCases, ::testing::ValuesIn(copycheck::copyCases()),
                         [](const ::testing::TestParamInfo<copycheck::CopyCase>& info) {
                             return info.param.name;
                         });

// Every test file with a tree is copied by some case, or tested below as not copyable.
TEST(CopyCoverage, EveryTreeOfTheTestDataIsCopied) {
    const std::vector<std::string> not_copyable = {"uproot-leaflist.root"};  // a leaf list only
    for (const auto& name : test::expectedFileNames()) {
        for (const auto& tree : test::expectedJson().at("files").at(name).at("trees")) {
            const bool copied = std::any_of(
                copycheck::copyCases().begin(), copycheck::copyCases().end(),
                [&](const auto& c) { return c.file == name && c.tree == tree.at("path"); });
            const bool excused = std::count(not_copyable.begin(), not_copyable.end(), name) > 0;
            EXPECT_TRUE(copied || excused) << name << ":" << tree.at("path");
        }
    }
}

// compareCopy notices a changed value, a missing branch, an unexpected one, a wrong count.
TEST(CopyCompare, FindsDifferences) {
    const auto& cases = copycheck::copyCases();
    const auto found = std::find_if(cases.begin(), cases.end(),
                                    [](const auto& c) { return c.name == "HZZ_muons_range"; });
    ASSERT_NE(found, cases.end());
    jsroot::ScratchDir dir;
    const std::string output = dir.file("copy.root");
    ASSERT_EQ(runHepflow(copycheck::copyArguments(*found, output)).status, 0);
    const json tree = treeOf(statsOf(output), found->tree);
    const auto expected = copycheck::expectedCopy(*found);
    ASSERT_TRUE(copycheck::compareCopy(expected, tree).empty());

    auto changed = expected;
    changed.branches[1].second["values"]["sum"] = 1.5;
    EXPECT_FALSE(copycheck::compareCopy(changed, tree).empty()) << "a changed sum";
    changed = expected;
    changed.entries += 1;
    EXPECT_FALSE(copycheck::compareCopy(changed, tree).empty()) << "an entry count";
    changed = expected;
    changed.branches.push_back({"Muon_E", changed.branches[1].second});
    EXPECT_FALSE(copycheck::compareCopy(changed, tree).empty()) << "a missing branch";
    changed = expected;
    changed.branches.erase(changed.branches.begin() + 1);
    EXPECT_FALSE(copycheck::compareCopy(changed, tree).empty()) << "an unexpected branch";
}

// ---------------------------------------------------------------- options

TEST(Copy, CompressionOptionSetsFileAndBaskets) {
    struct Case {
        const char* option;
        int setting;
        root::CompressionAlgorithm algorithm;
    };
    const Case cases[] = {{"zstd:5", 505, root::CompressionAlgorithm::Zstd},
                          {"lz4", 404, root::CompressionAlgorithm::Lz4},
                          {"LZMA:9", 209, root::CompressionAlgorithm::Lzma},
                          {"zlib:1", 101, root::CompressionAlgorithm::Zlib},
                          {"207", 207, root::CompressionAlgorithm::Lzma},
                          {"none", 0, root::CompressionAlgorithm::None}};
    for (const auto& c : cases) {
        jsroot::ScratchDir dir;
        const std::string output = dir.file("out.root");
        const auto result = runHepflow({"copy", test::dataPath("uproot-HZZ.root"), output, "-b",
                                        "Muon_Px", "--compression", c.option});
        ASSERT_EQ(result.status, 0) << c.option << ": " << result.err;
        const auto file = root::RootFile::open(output);
        EXPECT_EQ(file->header().fCompress, c.setting) << c.option;
        const auto tree = root::Tree::open(*file, "events");
        const auto* branch = tree->findBranch("Muon_Px");
        ASSERT_NE(branch, nullptr);
        const auto algorithm = tree->firstBasketCompression(*branch);
        ASSERT_TRUE(algorithm.has_value()) << c.option;
        EXPECT_EQ(*algorithm, c.algorithm) << c.option;
    }
}

TEST(Copy, DefaultCompressionIsTheInputs) {
    jsroot::ScratchDir dir;
    const std::string output = dir.file("out.root");
    ASSERT_EQ(runHepflow({"copy", test::dataPath("uproot-HZZ-lz4.root"), output}).status, 0);
    EXPECT_EQ(root::RootFile::open(output)->header().fCompress, 404);
}

TEST(Copy, CountedAndVectorLayouts) {
    jsroot::ScratchDir dir;
    const std::string input = test::dataPath("nanoAOD_2015_CMS_Open_Data_ttbar.root") + ":Events";
    const std::string counted = dir.file("counted.root"), vector = dir.file("vector.root");
    ASSERT_EQ(runHepflow({"copy", input, counted, "-b", "Muon_pt", "nMuon"}).status, 0);
    ASSERT_EQ(runHepflow({"copy", input, vector, "-b", "Muon_pt", "--jagged", "vector"}).status, 0);

    const json counted_tree = treeOf(statsOf(counted), "Events");
    EXPECT_EQ(counted_tree.at("branches").size(), 2u);
    EXPECT_EQ(branchOf(counted_tree, "nMuon").at("class"), "TBranch");
    EXPECT_EQ(branchOf(counted_tree, "Muon_pt").at("class"), "TBranch");
    EXPECT_EQ(branchOf(counted_tree, "Muon_pt").at("title"), "Muon_pt[nMuon]/F");

    const json vector_tree = treeOf(statsOf(vector), "Events");
    ASSERT_EQ(vector_tree.at("branches").size(), 1u);
    EXPECT_EQ(branchOf(vector_tree, "Muon_pt").at("class"), "TBranchElement");
    EXPECT_EQ(branchOf(vector_tree, "Muon_pt").at("type"), "vector<float>");
}

TEST(Copy, DelphesCollectionsComeOutFlat) {
    jsroot::ScratchDir dir;
    const std::string output = dir.file("jets.root");
    const auto result = runHepflow({"copy", test::dataPath("uproot-issue513.root"), output, "-b",
                                    "Jet*", "--skip-unwritable"});
    ASSERT_EQ(result.status, 0) << result.err;
    // TRefArray and TLorentzVector members are named in the warning.
    EXPECT_NE(result.err.find("Jet/Jet.Constituents"), std::string::npos) << result.err;
    const json tree = treeOf(statsOf(output), "Delphes");
    EXPECT_EQ(branchOf(tree, "nJet").at("values").at("first"), json({8, 6, 5, 4, 5}));
    EXPECT_EQ(branchOf(tree, "Jet_PT").at("title"), "Jet_PT[nJet]/F");
    EXPECT_EQ(branchOf(tree, "Jet_PT").at("lengths_first"), json({8, 6, 5, 4, 5}));
    EXPECT_EQ(branchOf(tree, "Jet_FracPt").at("type"), "vector<vector<float> >");
    EXPECT_EQ(branchOf(tree, "Jet_size").at("values").at("sum"), 60);
}

TEST(Copy, NestedTreeKeepsItsDirectory) {
    jsroot::ScratchDir dir;
    const std::string output = dir.file("nested.root");
    const auto result =
        runHepflow({"copy", test::dataPath("uproot-nesteddirs.root") + ":one/two/tree", output});
    ASSERT_EQ(result.status, 0) << result.err;
    const auto file = root::RootFile::open(output);
    std::vector<std::string> keys;
    for (const auto& entry : file->allKeys()) keys.push_back(entry.path);
    EXPECT_EQ(keys, (std::vector<std::string>{"one", "one/two", "one/two/tree"}));
}

TEST(Copy, ReplacesAnExistingOutputWhenItSucceeds) {
    jsroot::ScratchDir dir;
    const std::string output = dir.file("out.root");
    writeAll(output, "not a ROOT file");
    const auto result = runHepflow({"copy", test::dataPath("TNtuple.root"), output});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(result.out.find("copied 100 entries of 3 branches (0 renamed)"), 0u) << result.out;
    EXPECT_EQ(treeOf(statsOf(output), "n1").at("entries"), 100);
    EXPECT_EQ(dir.contents(), std::vector<std::string>{"out.root"});
}

// ---------------------------------------------------------------- failures

// Runs a copy that must fail with `status`, and checks that it says `message` in its last
// stderr line (warnings may come first), that OUT keeps its old bytes and that no temporary
// file is left beside it.
void expectFailure(const std::vector<std::string>& args, int status, const std::string& message,
                   const jsroot::ScratchDir& dir, const std::string& output) {
    const std::string before = fs::exists(output) ? readAll(output) : "";
    const auto contents = dir.contents();
    const auto result = runHepflow(args);
    EXPECT_EQ(result.status, status) << result.err;
    ASSERT_TRUE(result.err.ends_with("\n")) << result.err;
    const auto last_line = result.err.substr(result.err.rfind('\n', result.err.size() - 2) + 1);
    EXPECT_NE(last_line.find(message), std::string::npos) << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(dir.contents(), contents);
    if (!before.empty()) {
        EXPECT_EQ(readAll(output), before);
    }
}

TEST(CopyFails, MissingInput) {
    jsroot::ScratchDir dir;
    const std::string output = dir.file("out.root");
    expectFailure({"copy", dir.file("missing.root"), output}, cli::kExitError, "missing.root", dir,
                  output);
    EXPECT_FALSE(fs::exists(output));
}

TEST(CopyFails, OutputFolderMissingOrNotAFolder) {
    jsroot::ScratchDir dir;
    const std::string input = test::dataPath("TNtuple.root");
    expectFailure({"copy", input, dir.file("no/such/folder/out.root")}, cli::kExitError,
                  "no/such/folder", dir, "");
    writeAll(dir.file("plain"), "x");
    expectFailure({"copy", input, dir.file("plain/out.root")}, cli::kExitError, "plain/out.root",
                  dir, "");
}

// A basket whose compressed bytes are damaged: the copy fails while reading, after the
// output was started, and the file that was there before stays as it was.
TEST(CopyFails, DamagedInputKeepsTheExistingOutput) {
    jsroot::ScratchDir dir;
    const std::string input = dir.file("damaged.root");
    fs::copy_file(test::dataPath("uproot-HZZ.root"), input);
    {
        const auto file = root::RootFile::open(input);
        const auto tree = root::Tree::open(*file, "events");
        const auto& basket = tree->branchInfo(*tree->findBranch("Muon_Px")).baskets.at(0);
        ASSERT_TRUE(basket.onDisk());
        ASSERT_GT(basket.bytes, 400);
        std::fstream out(input, std::ios::in | std::ios::out | std::ios::binary);
        out.seekp(static_cast<std::streamoff>(basket.seek + basket.bytes / 2));
        out << std::string(64, '\xAB');
    }
    const std::string output = dir.file("out.root");
    writeAll(output, "the previous output");
    expectFailure({"copy", input, output}, cli::kExitError, "Muon_Px", dir, output);
    expectFailure({"--threads", "1", "copy", input, output}, cli::kExitError, "Muon_Px", dir,
                  output);
}

TEST(CopyFails, UsageErrorsLeaveNoOutput) {
    jsroot::ScratchDir dir;
    const std::string output = dir.file("out.root");
    writeAll(output, "the previous output");
    const std::string hzz = test::dataPath("uproot-HZZ.root");
    expectFailure({"copy", hzz, output, "-b", "NoSuchBranch"}, cli::kExitUsage,
                  "no branch matches 'NoSuchBranch'", dir, output);
    expectFailure({"copy", hzz, output, "--compression", "brotli:3"}, cli::kExitUsage,
                  "--compression 'brotli:3'", dir, output);
    expectFailure({"copy", hzz, output, "--compression", "zstd:10"}, cli::kExitUsage,
                  "--compression 'zstd:10'", dir, output);
    expectFailure({"copy", hzz, output, "--entries", "5000:"}, cli::kExitUsage, "2421 entries", dir,
                  output);
    expectFailure({"copy", hzz, output, "--jagged", "ragged"}, cli::kExitUsage, "--jagged", dir,
                  output);
    expectFailure({"copy", test::dataPath("uproot-nesteddirs.root"), output}, cli::kExitUsage,
                  "several trees (one/two/tree, one/tree, three/tree)", dir, output);
    expectFailure({"copy", test::dataPath("uproot-histograms.root"), output}, cli::kExitUsage,
                  "no tree to copy", dir, output);
}

TEST(CopyFails, ObjectsNeedToBeLeftOut) {
    jsroot::ScratchDir dir;
    const std::string output = dir.file("out.root");
    const std::string leaflist = test::dataPath("uproot-leaflist.root");
    expectFailure({"copy", leaflist, output}, cli::kExitUsage,
                  "1 selected branches cannot be written: leaflist (object", dir, output);
    expectFailure({"copy", leaflist, output, "--skip-unwritable"}, cli::kExitUsage,
                  "no branch to copy", dir, output);
    EXPECT_FALSE(fs::exists(output));
}

TEST(CopyFails, TwoBranchesUnderOneName) {
    jsroot::ScratchDir dir;
    const std::string output = dir.file("out.root");
    // The Delphes file has two "Particle" collections.
    expectFailure({"copy", test::dataPath("uproot-issue513.root"), output, "-b", "Particle*",
                   "--skip-unwritable"},
                  cli::kExitUsage,
                  "10 output names would be used by several branches (nParticle <- Particle, "
                  "Particle; Particle_fUniqueID <- Particle/Particle.fUniqueID, "
                  "Particle/Particle.fUniqueID; ",
                  dir, output);
}

}  // namespace
}  // namespace hepflow
