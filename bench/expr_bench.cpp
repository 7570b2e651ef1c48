// Expression evaluation speed: each of the 8 standard patterns of docs/expressions.md evaluated
// by CompiledExpression::evaluate() on a 100k-event in-memory batch, beside a hand-written C++
// loop over the same arrays computing the same result (the baseline), with the ratio printed.
// Pattern 6 also as `hepflow reduce` runs it, in two defines (examples/ttbar.yaml): the best
// trijet's position is a column, and the pT of the triplet at it is the measured expression.
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "../tests/expr/nano_events.h"
#include "bench_support.h"
#include "frame/expr/expression.h"
#include "frame/kernels/vector_math.h"

namespace {

using namespace hepflow::frame;
using namespace hepflow::frame::expr::testing;

constexpr std::size_t kEvents = 100000;
constexpr std::uint32_t kSeed = 12345;

// The define of the best trijet's position, as examples/ttbar.yaml has it.
constexpr const char* kTrijetBest =
    "argmin(triplets(Jet, (a, b, c) -> abs(mass(a, b, c) - 172.5)))";
constexpr const char* kTrijetPtAtBest = "triplets(Jet, (a, b, c) -> pt(a, b, c))[Trijet_best]";

struct Data {
    NanoEvents events = makeEvents(kEvents, kSeed);
    ColumnBatch batch = toBatch(events);
    std::vector<std::int64_t> trijet_best;  // the column Trijet_best, for the loop
    expr::Schema schema;
    Data() {
        Column best = expr::compile(kTrijetBest, schemaOf(batch)).evaluate(batch);
        const auto values = best.values<std::int64_t>();
        trijet_best.assign(values.begin(), values.end());
        batch.columns.emplace_back("Trijet_best", std::move(best));
        schema = schemaOf(batch);
    }
};
const Data& data() {
    static const Data d;
    return d;
}

void runExpression(benchmark::State& state, const char* text) {
    const auto& d = data();
    const auto compiled = expr::compile(text, d.schema);
    compiled.evaluate(d.batch);  // warm-up: first-touch page faults are not the expression's
    for (auto _ : state) {
        Column result = compiled.evaluate(d.batch);
        benchmark::DoNotOptimize(result.bytes().data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kEvents));
}

template <class F>
void runLoop(benchmark::State& state, F loop) {
    const auto& d = data();
    benchmark::DoNotOptimize(loop(d.events));  // warm-up, as for the expression
    for (auto _ : state) {
        auto result = loop(d.events);
        benchmark::DoNotOptimize(&result);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kEvents));
}

// The baselines of patterns 1 and 2 copy the column, as evaluate() returns a new column.
std::vector<float> copyMet(const NanoEvents& ev) {
    return ev.met_pt;
}
JaggedResult copyJetPt(const NanoEvents& ev) {
    return {ev.jet.offsets, ev.jet.pt};
}
// Pattern 6: the loop finds the best trijet once and reads its pT (it also takes the b-tag).
TrijetResult trijet(const NanoEvents& ev) {
    return refTrijet(ev);
}

// Pattern 6 in two steps: the pT of the triplet at the given position (the loop counts the
// triplets up to it, as the hand-written analysis of a second define would).
std::vector<double> trijetPtAtBest(const NanoEvents& ev) {
    const auto& best = data().trijet_best;
    const auto& j = ev.jet;
    std::vector<double> out(ev.num_events, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t e = 0; e < ev.num_events; ++e) {
        std::int64_t left = best[e];
        const auto end = j.offsets[e + 1];
        for (auto x = j.offsets[e]; x < end && left >= 0; ++x)
            for (auto y = x + 1; y < end && left >= 0; ++y)
                for (auto z = y + 1; z < end && left >= 0; ++z, --left) {
                    if (left != 0) continue;
                    P4 p;
                    p.add(j.pt[x], j.eta[x], j.phi[x], j.mass[x]);
                    p.add(j.pt[y], j.eta[y], j.phi[y], j.mass[y]);
                    p.add(j.pt[z], j.eta[z], j.phi[z], j.mass[z]);
                    out[e] = p.pt();
                }
    }
    return out;
}

struct Pattern {
    const char* name;
    const char* text;
    void (*loop)(benchmark::State&);
};

const Pattern kPatterns[] = {
    {"1_scalar", kPattern1, [](benchmark::State& s) { runLoop(s, copyMet); }},
    {"2_all_objects", kPattern2, [](benchmark::State& s) { runLoop(s, copyJetPt); }},
    {"3_objects_cut", kPattern3, [](benchmark::State& s) { runLoop(s, refCentralJetPt); }},
    {"4_count_cut", kPattern4, [](benchmark::State& s) { runLoop(s, refTwoJets); }},
    {"5_zmumu_pairs", kPattern5, [](benchmark::State& s) { runLoop(s, refZMuMu); }},
    {"6_best_trijet_pt", kPattern6Pt, [](benchmark::State& s) { runLoop(s, trijet); }},
    {"6b_trijet_pt_at_best", kTrijetPtAtBest,
     [](benchmark::State& s) { runLoop(s, trijetPtAtBest); }},
    {"7_cleaned_ht", kPattern7, [](benchmark::State& s) { runLoop(s, refCleanHt); }},
    {"8_wz_mt", kPattern8, [](benchmark::State& s) { runLoop(s, refWzMt); }},
};

// Collects the CPU time per iteration of every run (single-threaded work; CPU time is what a
// shared machine measures reliably), to print expression/loop ratios at the end.
class RatioReporter : public benchmark::ConsoleReporter {
public:
    // With --benchmark_repetitions=N the median of the N runs is kept (a shared VM's noise
    // moves single runs by 20 %); otherwise the single run.
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const auto& run : runs) {
            const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
            if (run.run_type != Run::RT_Iteration && !median) continue;
            const std::string name = run.run_name.str();
            if (median || !medians_.contains(name)) seconds_[name] = run.GetAdjustedCPUTime();
            if (median) medians_.insert(name);
        }
        ConsoleReporter::ReportRuns(runs);
    }
    void printRatios() const {
        std::printf("\n%-20s %14s %14s %8s\n", "pattern", "expr Mev/s", "loop Mev/s", "ratio");
        for (const auto& p : kPatterns) {
            const auto e = seconds_.find(std::string("expr/") + p.name);
            const auto l = seconds_.find(std::string("loop/") + p.name);
            if (e == seconds_.end() || l == seconds_.end()) continue;
            // Times are in the benchmarks' unit (ms); rates in million events per CPU second.
            const double expr_rate = static_cast<double>(kEvents) / e->second / 1e3;
            const double loop_rate = static_cast<double>(kEvents) / l->second / 1e3;
            std::printf("%-20s %14.2f %14.2f %8.2f\n", p.name, expr_rate, loop_rate,
                        l->second / e->second);
        }
    }

private:
    std::map<std::string, double> seconds_;
    std::set<std::string> medians_;
};

}  // namespace

int main(int argc, char** argv) {
    hepflow::bench::allocateAsTheCliDoes(argv);  // HEPFLOW_BENCH_GLIBC_DEFAULTS=1: glibc's own
    for (const auto& p : kPatterns) {
        const char* text = p.text;
        benchmark::RegisterBenchmark((std::string("expr/") + p.name).c_str(),
                                     [text](benchmark::State& s) { runExpression(s, text); })
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark((std::string("loop/") + p.name).c_str(), p.loop)
            ->Unit(benchmark::kMillisecond);
    }
    benchmark::Initialize(&argc, argv);
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    reporter.printRatios();
    std::printf("four-vector math: %s\n", hepflow::frame::kernels::vectorMathAccelerated()
                                              ? "libmvec, 4-wide AVX2"
                                              : "libm, one value at a time");
    benchmark::Shutdown();
    return 0;
}
