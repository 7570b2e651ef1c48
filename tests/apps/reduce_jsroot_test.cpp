// JSROOT reads what `hepflow reduce` writes: both examples run on a generated sample, then
// every output file is dumped by JSROOT (rootdump.mjs) and compared branch by branch with
// hepflow's own statistics of it (the golden test's rules), and the entry counts and branch
// lists with the run's report.
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "harness.h"
#include "root/root_file.h"
#include "stats_compare.h"

namespace hepflow {
namespace {

using nlohmann::json;

const jsroot::Tools kTools{HEPFLOW_BIN, HEPFLOW_NODE, HEPFLOW_ROOTDUMP};
const std::string kExamples = HEPFLOW_EXAMPLES_DIR;

int runHepflow(std::vector<std::string> args, std::string& err) {
    args.insert(args.begin(), "hepflow");
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    std::ostringstream out, errors;
    const int status = cli::runCli(static_cast<int>(argv.size()), argv.data(), out, errors);
    err = errors.str();
    return status;
}

class ReduceJsroot : public ::testing::TestWithParam<std::string> {};

TEST_P(ReduceJsroot, ReadsEveryOutput) {
    jsroot::ScratchDir dir;
    const std::string sample = dir.file("nanoaod.root");
    std::string err;
    ASSERT_EQ(runHepflow({"generate", "nanoaod", "--events", "5000", "-o", sample}, err), 0) << err;
    const std::string out = dir.file("out");
    ASSERT_EQ(runHepflow({"reduce", kExamples + "/" + GetParam(), "-i", sample, "--output-dir", out,
                          "--report", dir.file("report.json")},
                         err),
              0)
        << err;
    std::ifstream report_file(dir.file("report.json"));
    const json report = json::parse(report_file);
    ASSERT_FALSE(report["outputs"].empty());
    for (const auto& output : report["outputs"]) {
        const std::string path = output["file"];
        json dump, stats;
        std::unique_ptr<root::RootFile> file;
        try {
            dump = jsroot::jsrootDump(kTools, path);
            file = root::RootFile::open(path);
            stats = cli::fileStats(*file);
        } catch (const std::exception& e) {
            FAIL() << path << ": " << e.what();
        }
        const auto comparison = statscheck::compareFile(path, *file, dump, stats);
        std::string list;
        for (const auto& line : comparison.failures) list += "  " + line + "\n";
        EXPECT_TRUE(comparison.failures.empty()) << path << ":\n" << list;
        ASSERT_EQ(dump["trees"].size(), 1u) << path;
        const auto& tree = dump["trees"][0];
        EXPECT_EQ(tree["entries"], output["events"]) << path;
        std::set<std::string> names;
        for (const auto& branch : tree["branches"]) names.insert(branch["name"]);
        for (const auto& branch : output["branches"])
            EXPECT_EQ(names.count(branch.get<std::string>()), 1u) << path << ": " << branch;
        EXPECT_EQ(comparison.tally.branches, comparison.reference_branches) << path;
    }
}

INSTANTIATE_TEST_SUITE_P(Examples, ReduceJsroot, ::testing::Values("dimuon.yaml", "ttbar.yaml"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             return info.param.substr(0, info.param.find('.'));
                         });

}  // namespace
}  // namespace hepflow
