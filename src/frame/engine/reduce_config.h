// The `hepflow reduce` configuration (docs/reduce.md): a YAML file naming the inputs, object
// selections, defines, event selections, histograms and outputs, with command-line overrides
// (--set KEY=VALUE). Parsed strictly: an unknown key is an error naming the key and its line.
// buildAnalysis() turns a config into an Analysis over its inputs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "frame/engine/analysis.h"
#include "frame/engine/dataset.h"
#include "root/compression/compression.h"

namespace hepflow::frame::engine {

struct ReduceConfig {
    // A named expression and the config line it came from (0: from --set).
    struct Named {
        std::string name;
        std::string expression;
        int line = 0;
    };
    struct Histogram {
        std::string name;
        std::string expression;
        std::string title;
        int bins = 100;
        double low = 0;
        double high = 1;
        std::string weight;  // empty: unweighted
        int line = 0;
    };
    struct Output {
        std::string file;
        std::string tree = "Events";
        std::string selection;              // extra cut for this output; empty: none
        std::vector<std::string> branches;  // globs; empty: all
        root::CompressionSetting compression{root::CompressionAlgorithm::Zstd, 5};
        bool reproducible = false;
        int line = 0;
    };

    std::string path;                 // the config file
    std::vector<std::string> inputs;  // relative ones resolved against the config's folder
    std::string tree = "Events";
    int threads = 0;  // 0: all cores (the CLI's --threads wins when given)
    std::vector<Named> objects;
    std::vector<Named> defines;
    std::vector<Named> selections;
    std::vector<Histogram> histograms;
    std::string histogram_file;  // where histograms are written as TH1D; empty: report only
    std::vector<Output> outputs;
};

// Reads and checks `path`, applying `overrides` ("outputs.0.file=x.root", "threads=4",
// "inputs=[a.root, b.root]": a dotted path of map keys and list indices, and a YAML value)
// before validation. Throws UsageError "<file>:<line>: ..." for unknown keys, wrong types and
// missing required entries; IoError when the file cannot be read.
ReduceConfig loadReduceConfig(const std::string& path,
                              const std::vector<std::string>& overrides = {});

// Adds the config's steps, histograms and outputs to `analysis` (output files as given:
// callers place them). Nothing is compiled until Analysis::check() or run().
void buildAnalysis(const ReduceConfig& config, Analysis& analysis);

}  // namespace hepflow::frame::engine
