// The reduce config reader: every section parsed, relative inputs resolved against the
// config's folder, --set overrides, and errors that name the key and the line.
#include "frame/engine/reduce_config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "sample.h"

namespace hepflow {
namespace {

using frame::engine::loadReduceConfig;
using frame::engine::ReduceConfig;

std::string writeConfig(const enginetest::TempDir& dir, const std::string& text) {
    const std::string path = dir.file("config.yaml");
    std::ofstream(path) << text;
    return path;
}

std::string errorOf(const std::string& path, const std::vector<std::string>& overrides = {}) {
    try {
        loadReduceConfig(path, overrides);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "(no error)";
}

constexpr const char* kFull = R"(inputs: [a.root, /abs/b_*.root]
tree: Events
threads: 3
objects:
  GoodMuon: Muon[Muon_pt > 20]
  GoodJet: Jet[Jet_pt > 30]
defines:
  zeta: nGoodMuon + 1
  alpha: 2 * MET_pt
selections:
  - name: muons
    cut: nGoodMuon >= 2
  - cut: MET_pt > 10
histograms:
  - name: met
    expression: MET_pt
    bins: 20
    range: [0, 200]
    weight: 0.5
histogram_file: h.root
outputs:
  - file: skim.root
    branches: [event, GoodMuon_*]
    compression: lz4
  - file: other.root
    tree: dir/T
    selection: zeta > 2
    reproducible: true
)";

TEST(ReduceConfig, ReadsEverySection) {
    enginetest::TempDir dir;
    const auto config = loadReduceConfig(writeConfig(dir, kFull));
    EXPECT_EQ(config.inputs, (std::vector<std::string>{dir.file("a.root"), "/abs/b_*.root"}));
    EXPECT_EQ(config.threads, 3);
    ASSERT_EQ(config.objects.size(), 2u);
    EXPECT_EQ(config.objects[1].name, "GoodJet");  // the file's order, not sorted
    EXPECT_EQ(config.objects[1].line, 6);
    ASSERT_EQ(config.defines.size(), 2u);
    EXPECT_EQ(config.defines[0].name, "zeta");
    EXPECT_EQ(config.defines[1].expression, "2 * MET_pt");
    ASSERT_EQ(config.selections.size(), 2u);
    EXPECT_EQ(config.selections[0].name, "muons");
    EXPECT_EQ(config.selections[1].name, "cut1");
    ASSERT_EQ(config.histograms.size(), 1u);
    EXPECT_EQ(config.histograms[0].bins, 20);
    EXPECT_EQ(config.histograms[0].high, 200);
    EXPECT_EQ(config.histograms[0].weight, "0.5");
    EXPECT_EQ(config.histogram_file, "h.root");
    ASSERT_EQ(config.outputs.size(), 2u);
    EXPECT_EQ(config.outputs[0].compression.algorithm, root::CompressionAlgorithm::Lz4);
    EXPECT_EQ(config.outputs[0].branches, (std::vector<std::string>{"event", "GoodMuon_*"}));
    EXPECT_EQ(config.outputs[0].tree, "Events");
    EXPECT_EQ(config.outputs[1].tree, "dir/T");
    EXPECT_EQ(config.outputs[1].selection, "zeta > 2");
    EXPECT_TRUE(config.outputs[1].reproducible);
    EXPECT_EQ(config.outputs[1].compression.algorithm, root::CompressionAlgorithm::Zstd);
}

TEST(ReduceConfig, OverridesApplyBeforeChecks) {
    enginetest::TempDir dir;
    const auto path = writeConfig(dir, kFull);
    const auto config = loadReduceConfig(
        path, {"outputs.0.file=x.root", "threads=1", "selections.1.cut=MET_pt > 50",
               "histogram_file=other.root", "outputs.1.branches=[a, b]"});
    EXPECT_EQ(config.outputs[0].file, "x.root");
    EXPECT_EQ(config.threads, 1);
    EXPECT_EQ(config.selections[1].expression, "MET_pt > 50");
    EXPECT_EQ(config.histogram_file, "other.root");
    EXPECT_EQ(config.outputs[1].branches, (std::vector<std::string>{"a", "b"}));
    EXPECT_NE(errorOf(path, {"outputs.5.file=x"}).find("the list has 2 entries"),
              std::string::npos);
    EXPECT_NE(errorOf(path, {"nothing"}).find("expected KEY=VALUE"), std::string::npos);
    EXPECT_NE(errorOf(path, {"treads=4"}).find("unknown key 'treads'"), std::string::npos);
}

TEST(ReduceConfig, ErrorsNameKeyAndLine) {
    enginetest::TempDir dir;
    const auto check = [&](const std::string& text, const std::string& expected) {
        const auto path = writeConfig(dir, text);
        const auto message = errorOf(path);
        EXPECT_NE(message.find(expected), std::string::npos) << message;
    };
    // One line per case: the config, then what the message must say.
    check("inputs: a.root\nselection:\n  - cut: x\n",
          "config.yaml:2: unknown key 'selection' in the config — did you mean 'selections'?");
    check("outputs:\n  - file: a.root\n    brnches: [x]\n",
          "config.yaml:3: unknown key 'brnches' in outputs[0] — did you mean 'branches'?");
    check("threads: many\n", "config.yaml:1: threads must be an integer, not 'many'");
    check("selections:\n  - name: x\n", "config.yaml:2: selections[0] needs 'cut'");
    check("histograms:\n  - {name: h, expression: x, bins: 0, range: [0, 1]}\n", "needs bins >= 1");
    check("histograms:\n  - {name: h, expression: x, bins: 3, range: [0]}\n",
          "histograms[0].range must be [low, high]");
    check("outputs:\n  - file: a.root\n    compression: brotli\n",
          "config.yaml:3: outputs[0].compression 'brotli'");
    check("objects:\n  A: x\n  A: y\n", "config.yaml:3: objects 'A' is given twice");
    check("objects: [a, b]\n", "objects must be a map of NAME: expression");
    check("inputs: [a.root\n", "not valid YAML");
    EXPECT_NE(errorOf(dir.file("missing.yaml")).find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace hepflow
