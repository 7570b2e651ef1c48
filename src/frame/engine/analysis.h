// The lazy analysis graph over a Dataset: object selections, defines and filters in order,
// then actions (count, sum, min, max, 1-D histograms) and snapshots to ROOT files, all run
// in one parallel pass over the dataset's work units. Everything is compiled before any
// output exists; results and output files do not depend on the thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frame/engine/computation.h"
#include "frame/engine/dataset.h"
#include "root/compression/compression.h"
#include "root/writer/histogram_writer.h"

namespace hepflow::frame::engine {

struct HistogramSpec {
    std::string name;
    std::string title;  // empty: the value's text
    Computation value;  // per event, or per object (each object fills once)
    int bins = 100;
    double low = 0;
    double high = 1;
    // Per event (applies to each of the event's objects) or per object of the value's shape.
    std::optional<Computation> weight;
    std::string origin;  // starts error messages ("config.yaml:30")
};

struct SnapshotSpec {
    std::string path;  // the ROOT file (written under a temporary name, renamed on success)
    std::string tree = "Events";
    // Globs over the dataset's writable columns and the graph's new columns; empty = all.
    // Columns come out in dataset order, then new columns in definition order.
    std::vector<std::string> branches;
    root::CompressionSetting compression{root::CompressionAlgorithm::Zstd, 5};
    // An extra event filter for this output only (after the graph's filters).
    std::optional<Computation> filter;
    // Fixed dates and UUIDs, so equal inputs give byte-identical files.
    bool reproducible = false;
    std::string origin;  // starts error messages ("config.yaml:40")
};

enum class ActionKind { Count, Sum, Min, Max, Histogram };

struct ActionResult {
    ActionKind kind = ActionKind::Count;
    std::string name;  // the value's text, or the histogram's name
    // Count: events; Sum/Min/Max: over all values (NaN ignored by min/max; NaN when none).
    double value = 0;
    std::int64_t count = 0;       // events (Count) or values seen (Sum/Min/Max/Histogram)
    root::Histogram1D histogram;  // Histogram only
};

struct CutFlowEntry {
    std::string name;
    std::int64_t passed = 0;  // events passing this filter and all before it
};

struct OutputResult {
    std::string path;
    std::string tree;
    std::vector<std::string> branches;  // as written
    std::int64_t events = 0;
    std::int64_t bytes = 0;  // file size
};

// Where one step of the graph spent its time, summed over work units and threads: what
// `hepflow reduce --steps` prints. Steps are listed in the order they ran, which the lazy
// scheduling chooses (a define runs just before its first reader, see Analysis::run).
struct StepMetrics {
    // The column it makes or the selection's name; an object selection X shows as its parts
    // "X (mask)", "nX" and its fields "X_pt", ..., each made when first needed.
    std::string name;
    // "objects", "define", "filter", or "outputs" for the last entry: filling the histograms
    // and other actions and gathering the outputs' rows (not writing them).
    std::string kind;
    std::int64_t rows = 0;        // events it ran on: those that passed the filters before it
    double read_seconds = 0;      // reading the input columns it was the first to need
    double filter_seconds = 0;    // keeping the surviving rows of columns made before a filter
    double evaluate_seconds = 0;  // computing it (a filter: also dropping its failed rows)
};

struct RunMetrics {
    std::int64_t events_in = 0;
    std::int64_t units = 0;
    int threads = 0;
    // Bytes fetched from the inputs during the run: the baskets read, not those of a basket
    // without a selected row (never fetched). Another run on the same Dataset at the same
    // time would be counted too.
    std::int64_t bytes_read = 0;
    std::int64_t bytes_written = 0;  // sizes of the output files
    std::vector<std::string> columns_read;
    double wall_seconds = 0;
    double cpu_seconds = 0;  // user + system of the whole process during the run
    // Summed over threads: reading + decoding, evaluating the graph and actions; and the
    // serial writing stage (TreeWriter, which compresses in parallel itself).
    double read_seconds = 0;
    double evaluate_seconds = 0;
    double write_seconds = 0;
    std::vector<StepMetrics> steps;  // read_seconds and evaluate_seconds, step by step
};

struct RunResult {
    std::vector<CutFlowEntry> cutflow;
    std::vector<ActionResult> actions;  // in the order they were added
    std::vector<OutputResult> outputs;  // in the order they were added
    RunMetrics metrics;
};

struct RunOptions {
    int threads = 0;  // 0: all cores
    // Called from one thread, in order, after each unit: events done, events in total.
    std::function<void(std::int64_t, std::int64_t)> progress;
    std::int64_t unit_bytes = kDefaultUnitBytes;
    // Units in flight per thread (read, evaluated or waiting to be written). Four rather than
    // two: a unit that is slow to write holds up the in-order stage, and the workers need
    // tokens to go on with the next units meanwhile (dimuon at 2 threads 6% faster, peak RSS
    // unchanged: the writer keeps pace).
    int units_per_thread = 4;
    // Non-empty: the histograms are also written to this ROOT file (TH1D, top directory),
    // committed together with the snapshots: after an error none of the files is left.
    std::string histogram_file;
};

class Analysis {
public:
    using ActionId = std::size_t;

    // The dataset must outlive the analysis.
    explicit Analysis(const Dataset& dataset);
    ~Analysis();
    Analysis(const Analysis&) = delete;
    Analysis& operator=(const Analysis&) = delete;

    // Steps run in the order added. `origin` (e.g. "config.yaml:12") starts the messages of
    // errors about the step. A collection-valued computation (`Muon[Muon_pt > 20]`) adds
    // NAME_<field> for each field and the counter nNAME (Int32).
    void selectObjects(std::string name, Computation collection, std::string origin = {});
    // A new column (per event or per object).
    void define(std::string name, Computation value, std::string origin = {});
    // Keeps the events where `cut` (per event, bool or number) is true; one cut-flow entry.
    void filter(std::string name, Computation cut, std::string origin = {});

    // Actions see the events passing every filter.
    ActionId count();
    ActionId sum(Computation value);
    ActionId min(Computation value);
    ActionId max(Computation value);
    ActionId histogram(HistogramSpec spec);
    // Returns the output's index in RunResult::outputs.
    std::size_t snapshot(SnapshotSpec spec);

    // Compiles the whole graph against the dataset and checks the snapshots' branches;
    // throws UsageError (naming the step) for any problem. Creates nothing; run() calls it.
    void check();
    // The dataset columns the run reads (after check()).
    std::vector<std::string> columnsRead();
    // The names of the new columns, in definition order (after check()).
    std::vector<std::string> newColumns();

    // One pass: creates the outputs, processes every work unit, commits the outputs. On any
    // error no output file is left (the temporary files are removed) and the error is thrown.
    RunResult run(const RunOptions& options = {});

private:
    struct Plan;
    struct Step;
    struct Action;
    struct Output;

    const Dataset& dataset_;
    std::vector<Step> steps_;
    std::vector<Action> actions_;
    std::vector<Output> outputs_;
    std::unique_ptr<Plan> plan_;
};

}  // namespace hepflow::frame::engine
