// Command-line parsing (CLI11) and the one place that turns errors into exit codes: a
// hepflow::Error prints "hepflow: <kind>: <what>" as one stderr line and exits 1, a usage
// error exits 2. CLI11 is confined to this file because it is slow to compile.
#include <algorithm>
#include <functional>
#include <iostream>
#include <optional>
#include <ostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include "commands.h"
#include "common/error.h"

namespace hepflow::cli {
namespace {

constexpr const char* kDescription =
    "hepflow: read CERN ROOT files without ROOT.\n"
    "Files are local paths; FILE:TREE names a tree inside a file, with its directory path\n"
    "(FILE:dir/tree). Run `hepflow COMMAND --help` for the options of one command.";

constexpr const char* kFooter =
    "Examples:\n"
    "  hepflow ls data.root                       keys, indented by directory\n"
    "  hepflow show nano.root:Events              branches, types, sizes, compression\n"
    "  hepflow dump nano.root:Events -b 'Muon_*' --entries 0:10 --format csv\n"
    "  hepflow stats data.root --json             per-branch statistics as JSON\n"
    "  hepflow copy nano.root:Events small.root -b 'Muon_*' nMuon --compression zstd:5\n"
    "Exit status: 0 success, 1 error reading the input, 2 bad usage.";

// One line, whatever the message holds.
std::string oneLine(std::string text) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text;
}

int reportError(std::ostream& err, std::string_view kind, const std::string& what, int code) {
    err << "hepflow: " << kind << ": " << oneLine(what) << '\n';
    return code;
}

}  // namespace

int runCli(int argc, char** argv, std::ostream& out, std::ostream& err) {
    CLI::App app{kDescription, "hepflow"};
    app.footer(kFooter);
    app.set_version_flag("--version", "hepflow " HEPFLOW_VERSION);
    app.require_subcommand(1);
    int threads = 0;
    app.add_option("--threads", threads, "Worker threads (default 0: all cores)")
        ->check(CLI::NonNegativeNumber);

    std::function<void()> command;

    std::string ls_file;
    auto* ls = app.add_subcommand("ls",
                                  "List the keys of a file like `rootls -l`: class, "
                                  "date, name;cycle, title and sizes, by directory.\n"
                                  "Example: hepflow ls uproot-nesteddirs.root");
    ls->add_option("FILE", ls_file, "ROOT file")->required();
    ls->callback([&] { command = [&] { runLs(ls_file, out); }; });

    std::string show_spec;
    auto* show = app.add_subcommand(
        "show",
        "Show the branches of a tree (all trees when no :TREE is given): type, how hepflow\n"
        "interprets it (flat, jagged, string, object, no data), compressed and uncompressed\n"
        "bytes, baskets and the compression of the first basket.\n"
        "Example: hepflow show nanoAOD.root:Events");
    show->add_option("FILE[:TREE]", show_spec, "ROOT file, optionally :tree path")->required();
    show->callback([&] { command = [&] { runShow(show_spec, out); }; });

    DumpOptions dump_options;
    std::string dump_format = "json";
    auto* dump = app.add_subcommand(
        "dump",
        "Print the values of selected branches, one line per entry (jagged values as lists):\n"
        "JSON Lines ({\"entry\": N, \"branch\": value, ...}) or CSV with a header row.\n"
        "Example: hepflow dump uproot-HZZ.root:events -b 'Muon_P*' NMuon --entries 0:5 "
        "--format csv");
    dump->add_option("FILE:TREE", dump_options.spec, "ROOT file and tree path")->required();
    dump->add_option("-b,--branches", dump_options.branches,
                     "Branches to print: globs (*, ?, [..]) on the name or the path; "
                     "default all branches with data");
    dump->add_option("--entries", dump_options.entries,
                     "Entry range A:B (B excluded; A: and :B allowed), default all");
    dump->add_option("--format", dump_format, "json (JSON Lines) or csv")
        ->check(CLI::IsMember({"json", "csv"}));
    dump->callback([&] {
        dump_options.format = dump_format == "csv" ? DumpFormat::Csv : DumpFormat::Json;
        command = [&] { runDump(dump_options, out); };
    });

    std::string stats_file;
    bool stats_json = false;
    auto* stats = app.add_subcommand(
        "stats",
        "Read every branch of every tree (in any directory) and print count, sum, min, max\n"
        "and the first values, jagged values flattened in entry order. --json gives the\n"
        "shape of one file's entry in tests/data/expected.json (the JSROOT reference).\n"
        "Example: hepflow stats uproot-HZZ.root --json");
    stats->add_option("FILE", stats_file, "ROOT file")->required();
    stats->add_flag("--json", stats_json, "JSON output instead of a table");
    stats->callback([&] { command = [&] { runStats(stats_file, stats_json, out); }; });

    CopyOptions copy_options;
    auto* copy = app.add_subcommand(
        "copy",
        "Write (a subset of) one tree into a new ROOT file that ROOT, uproot and JSROOT read.\n"
        "The tree keeps its directory path and title. Branch names stay, except that array\n"
        "dimensions are dropped and split collections (Delphes) come out flat, NanoAOD style:\n"
        "Jet/Jet.PT becomes Jet_PT counted by nJet (the Jet branch, which holds the sizes).\n"
        "Counted arrays keep their counter (Muon_pt[nMuon]); other one-level jagged branches\n"
        "get one of their own (vector_int32[nvector_int32]) or, with --jagged vector, all are\n"
        "std::vector<T>. Doubly jagged branches are vector<vector<T>>, strings char* (or\n"
        "std::string with --jagged vector), lists of strings vector<string>.\n"
        "Objects (leaf lists, maps, TRef, TLorentzVector, ...) cannot be written: naming them\n"
        "fails unless -b leaves them out or --skip-unwritable skips them with a warning.\n"
        "OUT appears only when the copy is complete (temporary file + rename); an existing\n"
        "OUT is replaced then, and left untouched when the copy fails.\n"
        "Example: hepflow copy nano.root:Events muons.root -b 'Muon_*' nMuon --entries 0:1000");
    copy->add_option("IN[:TREE]", copy_options.input,
                     "ROOT file, optionally :tree path (needed when it has several trees)")
        ->required();
    copy->add_option("OUT", copy_options.output, "ROOT file to write")->required();
    copy->add_option("-b,--branches", copy_options.branches,
                     "Branches to copy: globs (*, ?, [..]) on the name or the path; default all");
    copy->add_option("--entries", copy_options.entries,
                     "Entry range A:B (B excluded; A: and :B allowed), default all");
    copy->add_option("--compression", copy_options.compression,
                     "zstd[:1-9], lz4[:1-9], lzma[:1-9], zlib[:1-9] (presets 5, 4, 7, 1), none, or "
                     "a ROOT setting like 505; default: the input file's setting");
    copy->add_option("--jagged", copy_options.jagged,
                     "Layout of one-level jagged branches: counted (default) or vector")
        ->check(CLI::IsMember({"counted", "vector"}));
    copy->add_flag("--skip-unwritable", copy_options.skip_unwritable,
                   "Copy what can be written and warn about the branches left out");
    copy->callback([&] {
        // In-process callers (tests) pass their own stream: progress is for a person watching.
        copy_options.progress = &err == &std::cerr && isatty(STDERR_FILENO) == 1;
        command = [&] { runCopy(copy_options, out, err); };
    });

    // --- generate (apps/hepflow/generate.cpp) ---
    GenerateOptions generate_options;
    auto* generate = app.add_subcommand(
        "generate",
        "Write a generated sample. nanoaod: a NanoAOD-like Events tree (CMS 2012 open-data\n"
        "schema) with Drell-Yan, W, ttbar-like and QCD multijet events (docs/generator.md).\n"
        "Deterministic for a seed whatever the thread count.\n"
        "Example: hepflow generate nanoaod --events 100000 --seed 7 -o sample.root");
    generate->add_option("KIND", generate_options.kind, "Sample type: nanoaod")
        ->check(CLI::IsMember({"nanoaod"}))
        ->required();
    generate->add_option("-n,--events", generate_options.events, "Number of events")
        ->check(CLI::PositiveNumber);
    generate->add_option("--seed", generate_options.seed, "Random seed (default 1)");
    generate->add_option("-o,--output", generate_options.output, "ROOT file to write")->required();
    generate->add_option("--compression", generate_options.compression,
                         "zstd[:1-9] (default zstd:5), lz4, lzma, zlib, none or a ROOT setting");
    generate->add_flag("--process-branch", generate_options.process_branch,
                       "Add Generator_process (1 DY, 2 W, 3 ttbar, 4 QCD): truth labels that "
                       "are not part of the CMS schema");
    generate->callback([&] {
        generate_options.progress = &err == &std::cerr && isatty(STDERR_FILENO) == 1;
        command = [&] { runGenerate(generate_options, out, err); };
    });
    // --- end generate ---

    // --- reduce (apps/hepflow/reduce.cpp) ---
    ReduceOptions reduce_options;
    auto* reduce = app.add_subcommand(
        "reduce",
        "Run a data reduction described by a YAML config (docs/reduce.md): object selections,\n"
        "defines, event selections and one or more outputs, in one pass over the inputs.\n"
        "Prints the cut-flow, events and bytes in/out and the time taken.\n"
        "Example: hepflow reduce examples/dimuon.yaml -i sample.root");
    reduce->add_option("CONFIG", reduce_options.config, "YAML config file")->required();
    reduce->add_option("-i,--input", reduce_options.inputs,
                       "Input files or globs (replace the config's inputs)");
    reduce->add_option("--set", reduce_options.overrides,
                       "KEY=VALUE override of a config setting, as a dotted path and a YAML\n"
                       "value (repeatable): outputs.0.file=x.root, threads=2,\n"
                       "selections.1.cut='nJet >= 6'");
    reduce->add_option("--output-dir", reduce_options.output_dir,
                       "Folder for relative output paths");
    reduce->add_option("--report", reduce_options.report_json, "Write the report as JSON here");
    reduce->add_flag("--steps", reduce_options.steps,
                     "Also print where the time went step by step: reading, keeping the rows\n"
                     "that passed the filters, and evaluating each object selection, define\n"
                     "and filter, in the order they ran (the report always has them)");
    reduce->callback([&] {
        reduce_options.progress = &err == &std::cerr && isatty(STDERR_FILENO) == 1;
        command = [&] { runReduce(reduce_options, out, err); };
    });
    // --- end reduce ---

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e, out, err);  // --help, --version
    } catch (const CLI::ParseError& e) {
        std::string message = e.what();
        // CLI11 reports a misspelt command as a missing one; name what was typed instead.
        if (const auto extra = app.remaining(); app.get_subcommands().empty() && !extra.empty())
            message = fmt::format(
                "unknown command '{}' (commands: ls, show, dump, stats, copy, generate, reduce)",
                extra.front());
        return reportError(err, "usage error", message + " (see hepflow --help)", kExitUsage);
    }

    try {
        std::optional<tbb::global_control> thread_limit;
        if (threads > 0)
            thread_limit.emplace(tbb::global_control::max_allowed_parallelism,
                                 static_cast<std::size_t>(threads));
        command();
        out.flush();
        return 0;
    } catch (const UsageError& e) {
        return reportError(err, e.kind(), e.what(), kExitUsage);
    } catch (const Error& e) {
        return reportError(err, e.kind(), e.what(), kExitError);
    } catch (const std::exception& e) {
        return reportError(err, "internal error", e.what(), kExitError);
    }
}

}  // namespace hepflow::cli
