// `hepflow reduce CONFIG.yaml`: loads the config (frame/engine/reduce_config.h), applies the
// command-line inputs and output folder, compiles the whole graph before creating anything,
// runs the one pass and prints the cut-flow, outputs, bytes and times (and writes them as JSON
// with --report). Histograms go to the config's histogram_file as TH1D.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "common/error.h"
#include "frame/engine/analysis.h"
#include "frame/engine/dataset.h"
#include "frame/engine/reduce_config.h"
#include "output.h"
#include "root/writer/file_writer.h"

namespace hepflow::cli {
namespace {

namespace engine = frame::engine;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A terminal's bar is redrawn at most this often; without a terminal, one plain line per
// interval for long runs (short runs print none).
constexpr auto kBarInterval = std::chrono::milliseconds(200);
constexpr auto kLineInterval = std::chrono::seconds(10);
constexpr int kBarWidth = 30;

std::string placed(const std::string& path, const std::string& folder) {
    if (folder.empty() || fs::path(path).is_absolute()) return path;
    return (fs::path(folder) / path).lexically_normal().string();
}

double ratio(std::int64_t part, std::int64_t whole) {
    return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

class ProgressReport {
public:
    ProgressReport(std::ostream& err, bool terminal)
        : err_(err), terminal_(terminal), start_(Clock::now()), last_(start_) {}

    void update(std::int64_t done, std::int64_t total) {
        const auto now = Clock::now();
        if (now - last_ < (terminal_ ? kBarInterval : kLineInterval) && done < total) return;
        if (done >= total && !shown_) return;  // a run that ended before the first report
        last_ = now;
        shown_ = true;
        const double seconds = std::chrono::duration<double>(now - start_).count();
        const double fraction = ratio(done, total);
        const std::string rate =
            fmt::format("{:.0f} events/s", seconds > 0 ? static_cast<double>(done) / seconds : 0.0);
        if (terminal_) {
            const int filled = static_cast<int>(fraction * kBarWidth);
            err_ << fmt::format("\r[{}{}] {:3.0f}% {}/{} events, {}", std::string(filled, '#'),
                                std::string(kBarWidth - filled, ' '), 100 * fraction, done, total,
                                rate)
                 << std::flush;
        } else {
            err_ << fmt::format("hepflow reduce: {}/{} events ({:.0f}%), {}\n", done, total,
                                100 * fraction, rate);
        }
    }
    void finish() {
        if (terminal_ && shown_) err_ << '\n' << std::flush;
    }

private:
    std::ostream& err_;
    bool terminal_;
    bool shown_ = false;
    Clock::time_point start_, last_;
};

nlohmann::json reportJson(const engine::ReduceConfig& config, const engine::Dataset& dataset,
                          const engine::RunResult& result) {
    using nlohmann::json;
    const auto& metrics = result.metrics;
    json report;
    report["config"] = config.path;
    report["inputs"] = dataset.files();
    report["tree"] = dataset.treePath();
    report["events_in"] = metrics.events_in;
    json cutflow = json::array();
    std::int64_t before = metrics.events_in;
    for (const auto& step : result.cutflow) {
        cutflow.push_back({{"name", step.name},
                           {"passed", step.passed},
                           {"efficiency", ratio(step.passed, before)},
                           {"cumulative_efficiency", ratio(step.passed, metrics.events_in)}});
        before = step.passed;
    }
    report["cutflow"] = cutflow;
    json histograms = json::array();
    for (const auto& action : result.actions) {
        if (action.kind != engine::ActionKind::Histogram) continue;
        const auto& h = action.histogram;
        histograms.push_back({{"name", h.name},
                              {"title", h.title},
                              {"bins", h.nbins},
                              {"range", {h.xmin, h.xmax}},
                              {"entries", h.entries},
                              {"contents", h.contents}});
    }
    report["histograms"] = histograms;
    json outputs = json::array();
    for (const auto& output : result.outputs)
        outputs.push_back({{"file", output.path},
                           {"tree", output.tree},
                           {"events", output.events},
                           {"bytes", output.bytes},
                           {"branches", output.branches}});
    report["outputs"] = outputs;
    report["columns_read"] = metrics.columns_read;
    report["bytes_read"] = metrics.bytes_read;
    report["bytes_written"] = metrics.bytes_written;
    report["threads"] = metrics.threads;
    report["work_units"] = metrics.units;
    report["wall_seconds"] = metrics.wall_seconds;
    report["cpu_seconds"] = metrics.cpu_seconds;
    report["events_per_second"] =
        metrics.wall_seconds > 0 ? static_cast<double>(metrics.events_in) / metrics.wall_seconds
                                 : 0.0;
    report["stage_seconds"] = {{"read_decode", metrics.read_seconds},
                               {"evaluate", metrics.evaluate_seconds},
                               {"write", metrics.write_seconds}};
    json steps = json::array();
    for (const auto& step : metrics.steps)
        steps.push_back({{"name", step.name},
                         {"kind", step.kind},
                         {"events", step.rows},
                         {"read_seconds", step.read_seconds},
                         {"keep_rows_seconds", step.filter_seconds},
                         {"evaluate_seconds", step.evaluate_seconds}});
    report["steps"] = steps;
    return report;
}

// The profile of `hepflow reduce --steps`: one line per step in the order they ran.
void printSteps(std::ostream& out, const engine::RunMetrics& metrics) {
    out << "steps (in the order they ran; milliseconds summed over threads):\n";
    TextTable table;
    table.addRow({"STEP", "KIND", "EVENTS", "READ", "KEEP ROWS", "EVALUATE"});
    const auto ms = [](double seconds) { return fmt::format("{:.1f}", 1e3 * seconds); };
    for (const auto& step : metrics.steps)
        table.addRow({step.name, step.kind, std::to_string(step.rows), ms(step.read_seconds),
                      ms(step.filter_seconds), ms(step.evaluate_seconds)});
    table.print(out, "  ");
}

void printReport(std::ostream& out, const engine::ReduceConfig& config,
                 const engine::Dataset& dataset, const engine::RunResult& result) {
    const auto& metrics = result.metrics;
    out << fmt::format("hepflow reduce {}: {} events in {} file{} (tree {})\n", config.path,
                       metrics.events_in, dataset.files().size(),
                       dataset.files().size() == 1 ? "" : "s", dataset.treePath());
    out << "cut flow:\n";
    TextTable cutflow;
    cutflow.addRow({"SELECTION", "EVENTS", "EFFICIENCY", "CUMULATIVE"});
    cutflow.addRow({"(all events)", std::to_string(metrics.events_in), "", "100.0%"});
    std::int64_t before = metrics.events_in;
    for (const auto& step : result.cutflow) {
        cutflow.addRow({step.name, std::to_string(step.passed),
                        fmt::format("{:.1f}%", 100 * ratio(step.passed, before)),
                        fmt::format("{:.1f}%", 100 * ratio(step.passed, metrics.events_in))});
        before = step.passed;
    }
    cutflow.print(out, "  ");
    if (!result.outputs.empty()) {
        out << "outputs:\n";
        TextTable outputs;
        outputs.addRow({"FILE", "TREE", "EVENTS", "BRANCHES", "SIZE"});
        for (const auto& output : result.outputs)
            outputs.addRow({output.path, output.tree, std::to_string(output.events),
                            std::to_string(output.branches.size()), formatBytes(output.bytes)});
        outputs.print(out, "  ");
    }
    for (const auto& action : result.actions)
        if (action.kind == engine::ActionKind::Histogram)
            out << fmt::format("histogram {}: {} entries, {} bins in [{}, {})\n", action.name,
                               action.histogram.entries, action.histogram.nbins,
                               action.histogram.xmin, action.histogram.xmax);
    out << fmt::format("fetched {} compressed ({} columns), wrote {}\n",
                       formatBytes(metrics.bytes_read), metrics.columns_read.size(),
                       formatBytes(metrics.bytes_written));
    const double rate = metrics.wall_seconds > 0
                            ? static_cast<double>(metrics.events_in) / metrics.wall_seconds
                            : 0.0;
    out << fmt::format(
        "time: {:.3f} s wall, {:.3f} s CPU on {} threads, {:.0f} events/s; summed over threads: "
        "read+decode {:.3f} s, evaluate {:.3f} s, write {:.3f} s\n",
        metrics.wall_seconds, metrics.cpu_seconds, metrics.threads, rate, metrics.read_seconds,
        metrics.evaluate_seconds, metrics.write_seconds);
}

}  // namespace

void runReduce(const ReduceOptions& options, std::ostream& out, std::ostream& err) {
    auto config = engine::loadReduceConfig(options.config, options.overrides);
    if (!options.inputs.empty()) config.inputs = options.inputs;  // as typed: relative to here
    if (config.inputs.empty())
        throw UsageError(fmt::format("{}: no inputs (give `inputs:` or -i FILE)", config.path));
    for (auto& output : config.outputs) output.file = placed(output.file, options.output_dir);
    if (!config.histogram_file.empty())
        config.histogram_file = placed(config.histogram_file, options.output_dir);

    const auto dataset = engine::Dataset::open(config.inputs, config.tree);
    engine::Analysis analysis(*dataset);
    engine::buildAnalysis(config, analysis);
    analysis.check();         // every expression and output, before anything is created
    std::error_code ignored;  // a path that cannot be inspected fails when it is created
    if (!config.histogram_file.empty() && fs::is_directory(config.histogram_file, ignored))
        throw UsageError(fmt::format("{}: histogram_file '{}': a folder has this name", config.path,
                                     config.histogram_file));
    if (!options.output_dir.empty()) fs::create_directories(options.output_dir);

    ProgressReport progress(err, options.progress);
    engine::RunOptions run_options;
    run_options.threads = config.threads;
    run_options.histogram_file = config.histogram_file;
    run_options.progress = [&](std::int64_t done, std::int64_t total) {
        progress.update(done, total);
    };
    const auto result = analysis.run(run_options);
    progress.finish();

    printReport(out, config, *dataset, result);
    if (options.steps) printSteps(out, result.metrics);
    if (!options.report_json.empty()) {
        std::ofstream report(options.report_json);
        report << reportJson(config, *dataset, result).dump(2) << '\n';
        if (!report)
            throw IoError(fmt::format("cannot write the report to '{}'", options.report_json));
    }
}

}  // namespace hepflow::cli
