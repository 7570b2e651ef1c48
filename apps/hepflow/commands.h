// The subcommands of the `hepflow` CLI as plain functions over parsed options, so tests
// call them in-process with a string stream. runCli() parses argv (CLI11), runs one
// command and turns hepflow::Error into one stderr line and an exit code.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "root/root_file.h"

namespace hepflow::cli {

// Exit codes: 0 success, 1 a hepflow::Error (bad file, unsupported data, ...), 2 bad usage.
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// Parses argv and runs one subcommand; never throws.
int runCli(int argc, char** argv, std::ostream& out, std::ostream& err);

// `hepflow ls FILE`: the key tree, indented by directory.
void runLs(const std::string& file, std::ostream& out);

// `hepflow show FILE[:TREE]`: per branch type, interpretation, sizes, baskets, compression.
void runShow(const std::string& spec, std::ostream& out);

enum class DumpFormat { Json, Csv };
struct DumpOptions {
    std::string spec;                   // FILE:TREE
    std::vector<std::string> branches;  // globs on branch name or path; empty = all
    std::string entries;                // "A:B", ":B", "A:" or "" for all
    DumpFormat format = DumpFormat::Json;
};
// `hepflow dump`: one line per entry, JSON objects (JSON Lines) or CSV rows.
void runDump(const DumpOptions& options, std::ostream& out);

struct CopyOptions {
    std::string input;                  // FILE or FILE:TREE (the file's only tree when omitted)
    std::string output;                 // the ROOT file to write (replaced only on success)
    std::vector<std::string> branches;  // globs on branch name or path; empty = all
    std::string entries;                // "A:B", ":B", "A:" or "" for all
    std::string compression;            // "zstd:5", "lz4", "none", "505"; "" = as the input
    std::string jagged = "counted";     // one-level jagged columns: "counted" or "vector"
    bool skip_unwritable = false;       // warn about branches that cannot be written, not fail
    bool progress = false;              // a progress line on `err` (for a terminal)
};
// `hepflow copy`: rewrites the selected branches of one tree into a new file (written under a
// temporary name, renamed when complete), flattening split collections NanoAOD style. Prints
// one summary line on `out`; warnings and progress go to `err`.
void runCopy(const CopyOptions& options, std::ostream& out, std::ostream& err);

// `hepflow generate nanoaod`: a NanoAOD-like sample (docs/generator.md), deterministic for a
// seed whatever the thread count, written under a temporary name and renamed when complete.
struct GenerateOptions {
    std::string kind = "nanoaod";  // the sample type; only "nanoaod" so far
    std::int64_t events = 100000;  // number of events
    std::uint64_t seed = 1;        // random seed
    std::string output;            // the ROOT file to write
    std::string compression = "zstd:5";
    bool process_branch = false;  // add Generator_process (truth label; not in the CMS schema)
    bool progress = false;        // a progress line on `err` (for a terminal)
};
void runGenerate(const GenerateOptions& options, std::ostream& out, std::ostream& err);

// `hepflow reduce CONFIG.yaml`: the data-reduction workload (docs/reduce.md): object
// selections, defines, event selections and several outputs in one pass over the inputs.
struct ReduceOptions {
    std::string config;                  // YAML file
    std::vector<std::string> inputs;     // overrides the config's inputs when not empty
    std::vector<std::string> overrides;  // KEY=VALUE settings applied over the config
    std::string output_dir;              // where relative output paths go ("" = as given)
    std::string report_json;             // cut-flow and timing report as JSON ("" = none)
    bool steps = false;                  // also print the time of each step of the graph
    bool progress = false;               // a progress bar on `err` (for a terminal)
};
void runReduce(const ReduceOptions& options, std::ostream& out, std::ostream& err);

// `hepflow stats FILE`: statistics of every branch of every tree; JSON with the shape of
// one file's entry in tests/data/expected.json, or a readable table.
void runStats(const std::string& file, bool json, std::ostream& out);

// The JSON document of `hepflow stats --json` for an open file. A branch hepflow cannot
// read gets an "error" member (the message) instead of statistics; the rest carries on.
nlohmann::json fileStats(const root::RootFile& file);

}  // namespace hepflow::cli
