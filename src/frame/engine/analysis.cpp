// The analysis graph: binding every step against the growing schema (check), and the one
// parallel pass (run): a tbb::parallel_pipeline whose parallel stage reads, decodes and
// evaluates a work unit and whose serial, in-order stage merges results and feeds the
// TreeWriters, so that results and files are the same for any thread count.
#include "frame/engine/analysis.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <limits>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <sys/resource.h>
#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include "common/error.h"
#include "frame/engine/detail/lazy_objects.h"
#include "frame/engine/detail/names.h"
#include "frame/engine/detail/rows.h"
#include "frame/expr/implied_bounds.h"
#include "root/writer/branch_plan.h"
#include "root/writer/file_writer.h"
#include "root/writer/tree_writer.h"

namespace hepflow::frame::engine {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double cpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// fnmatch-style globs over column names: '*', '?', '[abc]', '[!a-z]'.
bool globMatch(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
    const auto matchClass = [&](std::size_t& pos, char c) {
        // pattern[pos] == '['; returns whether c matches and moves pos past ']'.
        std::size_t i = pos + 1;
        const bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
        if (negate) ++i;
        bool matched = false;
        const std::size_t first = i;
        for (; i < pattern.size() && (pattern[i] != ']' || i == first); ++i) {
            if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
                matched |= pattern[i] <= c && c <= pattern[i + 2];
                i += 2;
            } else {
                matched |= pattern[i] == c;
            }
        }
        pos = i + 1;
        return matched != negate;
    };
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star_p = p++;
            star_t = t;
            continue;
        }
        if (p < pattern.size()) {
            if (pattern[p] == '?') {
                ++p;
                ++t;
                continue;
            }
            if (pattern[p] == '[' && pattern.find(']', p + 2) != std::string_view::npos) {
                std::size_t next = p;
                if (matchClass(next, text[t])) {
                    p = next;
                    ++t;
                    continue;
                }
            } else if (pattern[p] == text[t]) {
                ++p;
                ++t;
                continue;
            }
        }
        if (star_p == std::string_view::npos) return false;
        p = star_p + 1;
        t = ++star_t;
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool isNumeric(const Column& prototype) {
    return prototype.dtype() != DType::String && prototype.dtype() != DType::Struct;
}

bool isInteger(DType dtype) {
    return dtype >= DType::Int8 && dtype <= DType::UInt64;  // DType lists the integers together
}

std::string shapeText(const Column& column) {
    if (column.dtype() == DType::Struct) return "a collection";
    return column.levels() == 0 ? "one value per event" : "values per object";
}

std::string located(const std::string& origin, std::string what) {
    return origin.empty() ? what : origin + ": " + what;
}

// Adds a step's name to errors from binding it: UsageError gets the prefix in its message
// (the user reads "selection 'twoMuons': col 5: ..."), other errors a breadcrumb.
template <class F>
auto withContext(const std::string& what, F&& body) {
    try {
        return body();
    } catch (const UsageError& e) {
        UsageError error(fmt::format("{}: {}", what, e.message()));
        error.at(e.file(), e.object());
        throw error;
    } catch (Error& e) {
        e.within(what);
        throw;
    }
}

struct Partial {
    double sum = 0;
    double min = std::numeric_limits<double>::quiet_NaN();
    double max = std::numeric_limits<double>::quiet_NaN();
    std::int64_t count = 0;
    root::Histogram1D histogram;
};

void mergeHistogram(root::Histogram1D& total, const root::Histogram1D& part) {
    if (!part.sumw2.empty() && total.sumw2.empty()) total.enableSumw2();
    for (std::size_t i = 0; i < total.contents.size(); ++i) {
        total.contents[i] += part.contents[i];
        // Unit weights: the sum of squares equals the contents.
        if (!total.sumw2.empty())
            total.sumw2[i] += part.sumw2.empty() ? part.contents[i] : part.sumw2[i];
    }
    total.entries += part.entries;
    total.tsumw += part.tsumw;
    total.tsumw2 += part.tsumw2;
    total.tsumwx += part.tsumwx;
    total.tsumwx2 += part.tsumwx2;
}

void mergePartial(ActionKind kind, Partial& total, const Partial& part) {
    total.count += part.count;
    total.sum += part.sum;
    if (!std::isnan(part.min) && !(part.min >= total.min)) total.min = part.min;
    if (!std::isnan(part.max) && !(part.max <= total.max)) total.max = part.max;
    if (kind == ActionKind::Histogram) mergeHistogram(total.histogram, part.histogram);
}

}  // namespace

// ---------------------------------------------------------------- the graph as declared

struct Analysis::Step {
    enum class Kind { Objects, Define, Filter } kind;
    std::string name;
    Computation computation;
    std::string origin;
};

struct Analysis::Action {
    ActionKind kind;
    Computation value;
    HistogramSpec histogram;  // Histogram only
};

struct Analysis::Output {
    SnapshotSpec spec;
};

// ---------------------------------------------------------------- the graph as bound

namespace {

struct BoundStep {
    enum class Kind { Objects, Define, Filter } kind;
    std::string name;
    BoundComputation computation;
    std::vector<std::string> field_columns;  // Objects: column name of each member, in order
    std::string counter;                     // Objects: nNAME
    // The object selection a step split from one makes (splitObjectSteps), for the profile.
    std::string selection;
    // An implied cut (Filter, see impliedCuts): the mask columns of the object selections
    // whose counters' bounds in the next filter it applies early. It has no cut-flow entry: it
    // only drops events that filter drops. Left out when all those masks are made before it.
    std::vector<std::string> implied_from;
};

struct BoundAction {
    ActionKind kind;
    std::optional<BoundComputation> value;
    std::optional<BoundComputation> weight;
    root::Histogram1D empty_histogram;
};

struct BoundOutput {
    std::optional<BoundComputation> filter;
    std::vector<std::string> columns;
    std::vector<root::BranchSpec> specs;
};

// Everything one unit produces, merged in unit order by the serial stage.
struct UnitResult {
    std::int64_t events = 0;
    std::vector<std::int64_t> passed;  // per filter
    std::vector<Partial> actions;
    std::vector<ColumnBatch> outputs;
    double read_seconds = 0;
    double evaluate_seconds = 0;
    std::vector<StepMetrics> steps;  // per plan step, then the actions and outputs
};

// The profile's entry of each planned step, with no times yet, then the final stage's.
std::vector<StepMetrics> stepProfile(const std::vector<BoundStep>& steps) {
    std::vector<StepMetrics> profile;
    for (const BoundStep& step : steps) {
        StepMetrics entry;
        entry.name = step.name == detail::maskColumnName(step.selection) && !step.selection.empty()
                         ? step.selection + " (mask)"
                         : step.name;
        entry.kind = step.kind == BoundStep::Kind::Filter                               ? "filter"
                     : step.kind == BoundStep::Kind::Objects || !step.selection.empty() ? "objects"
                                                                                        : "define";
        profile.push_back(std::move(entry));
    }
    profile.push_back({"(actions and outputs)", "outputs", 0, 0, 0, 0});
    return profile;
}

void addStepTimes(std::vector<StepMetrics>& total, const std::vector<StepMetrics>& unit) {
    for (std::size_t i = 0; i < unit.size(); ++i) {
        total[i].rows += unit[i].rows;
        total[i].read_seconds += unit[i].read_seconds;
        total[i].filter_seconds += unit[i].filter_seconds;
        total[i].evaluate_seconds += unit[i].evaluate_seconds;
    }
}

}  // namespace

struct Analysis::Plan {
    std::vector<BoundStep> steps;
    std::vector<std::string> filter_names;
    std::vector<BoundAction> actions;
    std::vector<BoundOutput> outputs;
    std::vector<std::string> read_columns;
    std::vector<std::string> new_columns;
    // Columns no later step, action or output reads, dropped from the batch after each step
    // (parallel to steps), so that filters do not copy dead columns and memory is freed early.
    std::vector<std::vector<std::string>> dead_after;
    // Per output: its columns that no later output reads (moved into it rather than copied).
    std::vector<std::vector<bool>> moved;
};

namespace {

// Fills dead_after and moved (see Analysis::Plan) by walking the graph backwards from what the
// actions and outputs read.
void computeLifetimes(const std::vector<BoundStep>& steps, const std::vector<BoundAction>& actions,
                      const std::vector<BoundOutput>& outputs,
                      std::vector<std::vector<std::string>>& dead_after,
                      std::vector<std::vector<bool>>& moved) {
    std::unordered_set<std::string> live;
    moved.assign(outputs.size(), {});
    for (std::size_t j = outputs.size(); j-- > 0;) {
        const auto& output = outputs[j];
        for (const auto& name : output.columns) moved[j].push_back(live.count(name) == 0);
        // The filter is evaluated before the columns are taken, so it may read moved ones.
        live.insert(output.columns.begin(), output.columns.end());
        if (output.filter)
            live.insert(output.filter->inputs().begin(), output.filter->inputs().end());
    }
    for (const auto& action : actions) {
        if (action.value) live.insert(action.value->inputs().begin(), action.value->inputs().end());
        if (action.weight)
            live.insert(action.weight->inputs().begin(), action.weight->inputs().end());
    }
    dead_after.assign(steps.size(), {});
    for (std::size_t i = steps.size(); i-- > 0;) {
        const auto& step = steps[i];
        std::vector<std::string> touched = step.computation.inputs();
        if (step.kind == BoundStep::Kind::Objects) {
            touched.insert(touched.end(), step.field_columns.begin(), step.field_columns.end());
            touched.push_back(step.counter);
        } else if (step.kind == BoundStep::Kind::Define) {
            touched.push_back(step.name);
        }
        for (const auto& name : touched)
            if (live.count(name) == 0) dead_after[i].push_back(name);
        live.insert(step.computation.inputs().begin(), step.computation.inputs().end());
    }
}

// Orders the steps lazily, as RDataFrame evaluates its defines: filters keep their order,
// and an object selection or define runs just before the first step that reads what it makes,
// or after the last filter when only actions and outputs read it. A define then sees only the
// events that reach its first reader (values per event do not depend on which other events
// are in the batch, so results are those of the declared order), and a cheap cut declared
// last (a trigger bit) no longer pays for the objects and pairs of every event.
std::vector<BoundStep> scheduleLazily(std::vector<BoundStep> steps) {
    std::unordered_map<std::string, std::size_t> producer;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const auto& step = steps[i];
        if (step.kind == BoundStep::Kind::Define) producer.emplace(step.name, i);
        if (step.kind != BoundStep::Kind::Objects) continue;
        for (const auto& name : step.field_columns) producer.emplace(name, i);
        producer.emplace(step.counter, i);
    }
    std::vector<bool> scheduled(steps.size(), false);
    std::vector<std::size_t> order;
    // An implied cut is worth its read only before a selection it stands for is made.
    const auto made = [&](const std::vector<std::string>& masks) {
        return std::all_of(masks.begin(), masks.end(), [&](const std::string& mask) {
            const auto it = producer.find(mask);
            return it != producer.end() && scheduled[it->second];
        });
    };
    // Steps only read columns made above them, so the recursion ends; its depth is bounded by
    // the number of steps.
    const auto schedule = [&](auto&& self, std::size_t i) -> void {
        if (scheduled[i]) return;
        scheduled[i] = true;
        for (const auto& input : steps[i].computation.inputs())
            if (const auto it = producer.find(input); it != producer.end()) self(self, it->second);
        order.push_back(i);
    };
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].kind != BoundStep::Kind::Filter) continue;
        if (!steps[i].implied_from.empty() && made(steps[i].implied_from))
            scheduled[i] = true;  // dropped
        schedule(schedule, i);
    }
    for (std::size_t i = 0; i < steps.size(); ++i) schedule(schedule, i);
    std::vector<BoundStep> ordered;
    ordered.reserve(steps.size());
    for (const std::size_t i : order) ordered.push_back(std::move(steps[i]));
    return ordered;
}

// The columns the actions and the outputs (their branches and own selections) read.
std::unordered_set<std::string> readAtTheEnd(const std::vector<BoundAction>& actions,
                                             const std::vector<BoundOutput>& outputs) {
    std::unordered_set<std::string> read;
    const auto reads = [&](const std::vector<std::string>& names) {
        read.insert(names.begin(), names.end());
    };
    for (const auto& action : actions) {
        if (action.value) reads(action.value->inputs());
        if (action.weight) reads(action.weight->inputs());
    }
    for (const auto& output : outputs) {
        reads(output.columns);
        if (output.filter) reads(output.filter->inputs());
    }
    return read;
}

// The steps whose columns something reads (`read`: what the actions and outputs read): a
// define, or a part of an object selection (its mask, counter or a field), that no later step,
// action or output reads is dropped, so that fields of a selection used only for its counter
// are never made. Filters always stay.
std::vector<BoundStep> dropUnread(std::vector<BoundStep> steps,
                                  std::unordered_set<std::string> read) {
    const auto reads = [&](const std::vector<std::string>& names) {
        read.insert(names.begin(), names.end());
    };
    std::vector<bool> keep(steps.size(), true);
    for (std::size_t i = steps.size(); i-- > 0;) {
        const BoundStep& step = steps[i];
        if (step.kind == BoundStep::Kind::Define) {
            keep[i] = read.count(step.name) != 0;
        } else if (step.kind == BoundStep::Kind::Objects) {
            keep[i] = read.count(step.counter) != 0 ||
                      std::any_of(step.field_columns.begin(), step.field_columns.end(),
                                  [&](const std::string& field) { return read.count(field) != 0; });
        }
        if (keep[i]) reads(step.computation.inputs());
    }
    std::vector<BoundStep> kept;
    for (std::size_t i = 0; i < steps.size(); ++i)
        if (keep[i]) kept.push_back(std::move(steps[i]));
    return kept;
}

void dropColumns(ColumnBatch& batch, const std::vector<std::string>& names) {
    if (names.empty()) return;
    std::erase_if(batch.columns, [&](const auto& column) {
        return std::find(names.begin(), names.end(), column.first) != names.end();
    });
}

// An expression object selection `C[cut]` as separate steps (detail/lazy_objects.h): the mask
// (a hidden column, added to `schema`), the counter and one step per field, each of exactly
// the type the whole selection gives. nullopt (the selection stays one step) for any other
// form, or when a part would not match the whole.
std::optional<std::vector<BoundStep>> splitObjectSteps(const auto& step,
                                                       const BoundComputation& whole,
                                                       expr::Schema& schema,
                                                       const std::string& what) {
    if (!step.computation.isExpression()) return std::nullopt;
    const auto text = detail::splitObjectSelection(step.computation.text());
    if (!text) return std::nullopt;
    const Column& prototype = whole.prototype();
    std::vector<std::string> sources;
    for (const auto& [field, member] : prototype.members()) {
        sources.push_back(detail::fieldColumn(schema, text->collection, field));
        // An empty source for "index" means positions (a collection without an index column).
        if (sources.back().empty() && field != "index") return std::nullopt;
    }
    const BoundComputation mask =
        withContext(what, [&] { return BoundComputation::bind(Computation(text->cut), schema); });
    if (mask.prototype().dtype() != DType::Bool || mask.prototype().levels() != 1)
        return std::nullopt;
    const std::string mask_column = detail::maskColumnName(step.name);
    if (schema.find(mask_column) != nullptr) return std::nullopt;
    expr::Schema with_mask = schema;
    with_mask.columns.push_back({mask_column, {DType::Bool, 1}});
    const auto define = [&](std::string name, const Computation& computation) {
        return BoundStep{BoundStep::Kind::Define,
                         std::move(name),
                         BoundComputation::bind(computation, with_mask),
                         {},
                         {},
                         step.name,
                         {}};
    };
    std::vector<BoundStep> parts;
    parts.push_back({BoundStep::Kind::Define, mask_column, mask, {}, {}, step.name, {}});
    parts.push_back(define("n" + step.name, detail::maskCounter(what, mask_column)));
    for (std::size_t i = 0; i < sources.size(); ++i) {
        const auto& [field, member] = prototype.members()[i];
        BoundStep part =
            define(step.name + "_" + field,
                   sources[i].empty() ? detail::maskedIndex(what, mask_column)
                                      : detail::maskedField(what, sources[i], mask_column));
        // Integer fields keep their stored width (the whole selection widens them to Int64).
        const Column& made = part.computation.prototype();
        const bool same_kind = made.dtype() == member.dtype() ||
                               (isInteger(made.dtype()) && member.dtype() == DType::Int64);
        if (!same_kind || made.levels() != member.levels()) return std::nullopt;
        parts.push_back(std::move(part));
    }
    schema = std::move(with_mask);
    return parts;
}

// The input column that counts `collection`'s objects per event: the counter that all its
// fields in the dataset share (NanoAOD's nJet for Jet_pt, Jet_eta, ...); "" when there is no
// such column (a collection of vectors, of new columns, or of fields with other counters).
std::string inputCounter(const Dataset& dataset, const expr::Schema& schema,
                         const std::string& collection, const Column& prototype) {
    std::string counter;
    for (const auto& [field, member] : prototype.members()) {
        const std::string column = detail::fieldColumn(schema, collection, field);
        if (column.empty()) continue;  // positions ("index")
        const std::string found = dataset.counterColumn(column);
        if (found.empty() || (!counter.empty() && found != counter)) return {};
        counter = found;
    }
    return counter;
}

// What bounds the counter nX of an object selection X = C[cut] from above: C's counter (the
// input column counting C's objects, or nC when C is a selection itself), and X's mask column.
struct CounterBound {
    std::string counter;
    std::string mask;
};
using CounterBounds = std::unordered_map<std::string, CounterBound>;

// Cuts to run before `filter`: for each `&&` term bounding an object selection's counter from
// below (`nCleanJet >= 4`), the same bound on the counter of the collection it selects from
// (`nJet >= 4`), and so on up to an input column, outermost first. The events they drop would
// fail the filter anyway; they are dropped before the selection's mask and fields, and the
// columns those read, are computed, for the price of one flat integer column.
std::vector<BoundStep> impliedCuts(const auto& filter, const CounterBounds& bounds,
                                   const expr::Schema& schema) {
    if (!filter.computation.isExpression()) return {};
    struct Cut {
        std::string counter;
        std::int64_t minimum = 0;
        std::vector<std::string> masks;
    };
    std::vector<Cut> cuts;  // every counter before the counters it bounds
    for (const auto& term : expr::impliedMinimums(filter.computation.text())) {
        std::vector<std::pair<std::string, std::string>> chain;  // (counter, mask), innermost first
        for (auto it = bounds.find(term.column); it != bounds.end();
             it = bounds.find(it->second.counter))
            chain.emplace_back(it->second.counter, it->second.mask);
        for (auto link = chain.rbegin(); link != chain.rend(); ++link) {
            auto cut = std::find_if(cuts.begin(), cuts.end(),
                                    [&](const Cut& c) { return c.counter == link->first; });
            if (cut == cuts.end()) cut = cuts.insert(cuts.end(), Cut{link->first, 0, {}});
            cut->minimum = std::max(cut->minimum, term.minimum);
            cut->masks.push_back(link->second);
        }
    }
    std::vector<BoundStep> steps;
    for (auto& cut : cuts) {
        const std::string text = fmt::format("{} >= {}", cut.counter, cut.minimum);
        steps.push_back({BoundStep::Kind::Filter,
                         fmt::format("{} (implied by {})", text, filter.name),
                         BoundComputation::bind(Computation(text), schema),
                         {},
                         {},
                         {},
                         std::move(cut.masks)});
    }
    return steps;
}

}  // namespace

Analysis::Analysis(const Dataset& dataset) : dataset_(dataset) {}
Analysis::~Analysis() = default;

void Analysis::selectObjects(std::string name, Computation collection, std::string origin) {
    steps_.push_back(
        {Step::Kind::Objects, std::move(name), std::move(collection), std::move(origin)});
    plan_.reset();
}
void Analysis::define(std::string name, Computation value, std::string origin) {
    steps_.push_back({Step::Kind::Define, std::move(name), std::move(value), std::move(origin)});
    plan_.reset();
}
void Analysis::filter(std::string name, Computation cut, std::string origin) {
    steps_.push_back({Step::Kind::Filter, std::move(name), std::move(cut), std::move(origin)});
    plan_.reset();
}

Analysis::ActionId Analysis::count() {
    actions_.push_back({ActionKind::Count, Computation("true"), {}});
    plan_.reset();
    return actions_.size() - 1;
}
Analysis::ActionId Analysis::sum(Computation value) {
    actions_.push_back({ActionKind::Sum, std::move(value), {}});
    plan_.reset();
    return actions_.size() - 1;
}
Analysis::ActionId Analysis::min(Computation value) {
    actions_.push_back({ActionKind::Min, std::move(value), {}});
    plan_.reset();
    return actions_.size() - 1;
}
Analysis::ActionId Analysis::max(Computation value) {
    actions_.push_back({ActionKind::Max, std::move(value), {}});
    plan_.reset();
    return actions_.size() - 1;
}
Analysis::ActionId Analysis::histogram(HistogramSpec spec) {
    Computation value = spec.value;
    actions_.push_back({ActionKind::Histogram, std::move(value), std::move(spec)});
    plan_.reset();
    return actions_.size() - 1;
}
std::size_t Analysis::snapshot(SnapshotSpec spec) {
    outputs_.push_back({std::move(spec)});
    plan_.reset();
    return outputs_.size() - 1;
}

std::vector<std::string> Analysis::columnsRead() {
    check();
    return plan_->read_columns;
}
std::vector<std::string> Analysis::newColumns() {
    check();
    return plan_->new_columns;
}

void Analysis::check() {
    if (plan_ != nullptr) return;
    auto plan = std::make_unique<Plan>();
    expr::Schema schema;
    std::vector<std::string> known;  // every column name, for suggestions
    for (const auto& column : dataset_.columns()) {
        schema.columns.push_back({column.name, {column.dtype, column.levels}});
        known.push_back(column.name);
    }
    // New columns: their prototypes and, for jagged ones, their counter.
    struct NewColumn {
        std::string name;
        DType dtype;
        std::size_t levels;
        std::string counter;
    };
    std::vector<NewColumn> new_columns;
    // nX of each split object selection X -> what bounds it (impliedCuts).
    CounterBounds bounded_counters;
    const auto addColumn = [&](const std::string& what, const std::string& name,
                               const Column& prototype, std::string counter) {
        if (schema.find(name) != nullptr)
            throw UsageError(fmt::format("{}: a column named '{}' exists already", what, name));
        schema.columns.push_back({name, {prototype.dtype(), prototype.levels()}});
        known.push_back(name);
        new_columns.push_back({name, prototype.dtype(), prototype.levels(), std::move(counter)});
    };

    for (const auto& step : steps_) {
        const char* kind = step.kind == Step::Kind::Objects  ? "objects"
                           : step.kind == Step::Kind::Define ? "define"
                                                             : "selection";
        const std::string what = located(step.origin, fmt::format("{} '{}'", kind, step.name));
        if (step.name.empty()) throw UsageError(fmt::format("{} without a name", kind));
        auto bound =
            withContext(what, [&] { return BoundComputation::bind(step.computation, schema); });
        const Column& prototype = bound.prototype();
        BoundStep bound_step{
            static_cast<BoundStep::Kind>(step.kind), step.name, bound, {}, {}, {}, {}};
        switch (step.kind) {
            case Step::Kind::Objects: {
                if (!bound.isCollection())
                    throw UsageError(
                        fmt::format("{}: '{}' gives {}, not a collection (write "
                                    "Collection[mask], e.g. Muon[Muon_pt > 20])",
                                    what, bound.text(), shapeText(prototype)));
                bound_step.counter = "n" + step.name;
                // Split before the fields enter the schema: the split binds against the
                // columns as the selection saw them.
                auto split = splitObjectSteps(step, bound, schema, what);
                const auto& members = prototype.members();
                for (std::size_t i = 0; i < members.size(); ++i) {
                    bound_step.field_columns.push_back(step.name + "_" + members[i].first);
                    // Split: the mask and counter come first, then the fields in order.
                    const Column& field =
                        split ? (*split)[2 + i].computation.prototype() : members[i].second;
                    addColumn(what, bound_step.field_columns.back(), field, bound_step.counter);
                }
                addColumn(what, bound_step.counter, Column(DType::Int32), {});
                plan->new_columns.insert(plan->new_columns.end(), bound_step.field_columns.begin(),
                                         bound_step.field_columns.end());
                plan->new_columns.push_back(bound_step.counter);
                if (split) {
                    // X = C[cut] has at most as many objects as C.
                    const std::string collection =
                        detail::splitObjectSelection(step.computation.text())->collection;
                    const std::string counter =
                        bounded_counters.count("n" + collection) != 0
                            ? "n" + collection
                            : inputCounter(dataset_, schema, collection, prototype);
                    if (!counter.empty())
                        bounded_counters[bound_step.counter] = {counter,
                                                                detail::maskColumnName(step.name)};
                    plan->steps.insert(plan->steps.end(), std::make_move_iterator(split->begin()),
                                       std::make_move_iterator(split->end()));
                    continue;
                }
                break;
            }
            case Step::Kind::Define:
                if (bound.isCollection())
                    throw UsageError(
                        fmt::format("{}: '{}' is a collection; select objects under "
                                    "`objects` instead",
                                    what, bound.text()));
                addColumn(what, step.name, prototype, "n" + step.name);
                plan->new_columns.push_back(step.name);
                break;
            case Step::Kind::Filter:
                if (!isNumeric(prototype) || prototype.levels() != 0)
                    throw UsageError(fmt::format(
                        "{}: a cut needs one bool per event, but '{}' gives {} ({})", what,
                        bound.text(), shapeText(prototype), dtypeName(prototype.dtype())));
                plan->filter_names.push_back(step.name);
                auto cuts = impliedCuts(step, bounded_counters, schema);
                plan->steps.insert(plan->steps.end(), std::make_move_iterator(cuts.begin()),
                                   std::make_move_iterator(cuts.end()));
                break;
        }
        plan->steps.push_back(std::move(bound_step));
    }

    for (const auto& action : actions_) {
        BoundAction bound{action.kind, std::nullopt, std::nullopt, {}};
        if (action.kind != ActionKind::Count) {
            const std::string what =
                action.kind == ActionKind::Histogram
                    ? located(action.histogram.origin,
                              fmt::format("histogram '{}'", action.histogram.name))
                    : fmt::format("action on '{}'", action.value.text());
            bound.value =
                withContext(what, [&] { return BoundComputation::bind(action.value, schema); });
            const Column& prototype = bound.value->prototype();
            if (!isNumeric(prototype) || prototype.levels() > 1)
                throw UsageError(fmt::format(
                    "{}: '{}' gives {} ({}); expected numbers per "
                    "event or per object",
                    what, bound.value->text(), shapeText(prototype), dtypeName(prototype.dtype())));
            if (action.kind == ActionKind::Histogram) {
                const auto& spec = action.histogram;
                bound.empty_histogram = withContext(what, [&] {
                    return root::Histogram1D(spec.name,
                                             spec.title.empty() ? spec.value.text() : spec.title,
                                             spec.bins, spec.low, spec.high);
                });
                if (spec.weight) {
                    bound.weight = withContext(
                        what, [&] { return BoundComputation::bind(*spec.weight, schema); });
                    const Column& weight = bound.weight->prototype();
                    if (!isNumeric(weight) || weight.levels() > prototype.levels())
                        throw UsageError(fmt::format(
                            "{}: the weight '{}' gives {}; expected a number per event{}", what,
                            bound.weight->text(), shapeText(weight),
                            prototype.levels() > 0 ? " or per object" : ""));
                }
            }
        }
        plan->actions.push_back(std::move(bound));
    }

    // Outputs: the writable columns, then the new ones.
    std::vector<std::string> candidates;
    std::unordered_map<std::string, root::BranchSpec> specs;
    std::unordered_map<std::string, std::string> unwritable;
    for (const auto& column : dataset_.columns()) {
        if (column.spec) {
            candidates.push_back(column.name);
            specs.emplace(column.name, *column.spec);
        } else {
            unwritable.emplace(column.name, column.unwritable);
        }
    }
    for (const auto& column : new_columns) {
        root::BranchSpec spec;
        spec.name = column.name;
        spec.dtype = column.dtype;
        spec.levels = column.dtype == DType::String ? column.levels - 1 : column.levels;
        if (column.levels > 0 && column.dtype != DType::String) spec.counter = column.counter;
        candidates.push_back(column.name);
        specs.emplace(column.name, std::move(spec));
    }
    std::set<std::string> paths;
    for (const auto& output : outputs_) {
        const auto& spec = output.spec;
        const std::string what = located(spec.origin, fmt::format("output '{}'", spec.path));
        if (spec.path.empty()) throw UsageError("an output without a file name");
        if (!paths.insert(std::filesystem::absolute(spec.path).lexically_normal().string()).second)
            throw UsageError(fmt::format("{}: two outputs write this file", what));
        // Found here, before anything is written, rather than when the finished file cannot
        // be renamed onto it.
        std::error_code ignored;  // a path that cannot be inspected fails when it is created
        if (std::filesystem::is_directory(spec.path, ignored))
            throw UsageError(fmt::format("{}: a folder has this name", what));
        BoundOutput bound;
        std::vector<bool> chosen(candidates.size(), spec.branches.empty());
        for (const auto& pattern : spec.branches) {
            bool matched = false;
            for (std::size_t i = 0; i < candidates.size(); ++i)
                if (globMatch(pattern, candidates[i])) chosen[i] = matched = true;
            if (matched) continue;
            if (const auto it = unwritable.find(pattern); it != unwritable.end())
                throw UsageError(fmt::format("{}: column '{}' cannot be written ({})", what,
                                             pattern, it->second));
            throw UsageError(fmt::format("{}: no column matches '{}'{}", what, pattern,
                                         detail::didYouMean(pattern, known)));
        }
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            if (!chosen[i]) continue;
            bound.columns.push_back(candidates[i]);
            bound.specs.push_back(specs.at(candidates[i]));
        }
        if (bound.columns.empty()) throw UsageError(fmt::format("{}: no column to write", what));
        withContext(what, [&] {
            root::planTree(bound.specs, spec.compression);
            return 0;
        });
        if (spec.filter) {
            bound.filter = withContext(
                what + " selection", [&] { return BoundComputation::bind(*spec.filter, schema); });
            const Column& prototype = bound.filter->prototype();
            if (!isNumeric(prototype) || prototype.levels() != 0)
                throw UsageError(
                    fmt::format("{}: its selection '{}' gives {}; a cut needs one "
                                "bool per event",
                                what, bound.filter->text(), shapeText(prototype)));
        }
        plan->outputs.push_back(std::move(bound));
    }

    auto needed = readAtTheEnd(plan->actions, plan->outputs);
    plan->steps = dropUnread(scheduleLazily(std::move(plan->steps)), needed);
    // The dataset columns read: by the steps left (not by dropped ones), actions and outputs.
    for (const auto& step : plan->steps)
        needed.insert(step.computation.inputs().begin(), step.computation.inputs().end());
    for (const auto& column : dataset_.columns())
        if (needed.count(column.name) != 0) plan->read_columns.push_back(column.name);
    computeLifetimes(plan->steps, plan->actions, plan->outputs, plan->dead_after, plan->moved);
    plan_ = std::move(plan);
}

// ---------------------------------------------------------------- the pass

namespace {

// Appends the fields of a selected collection and its counter to the batch.
void addObjects(ColumnBatch& batch, const BoundStep& step, Column collection) {
    auto& members = collection.members();
    Column counter(DType::Int32);
    if (!members.empty()) {
        for (const auto count : detail::rowCounts(members.front().second))
            counter.append(static_cast<std::int32_t>(count));
    } else {
        for (std::int64_t i = 0; i < batch.num_entries; ++i) counter.append(std::int32_t{0});
    }
    for (std::size_t i = 0; i < members.size(); ++i)
        batch.columns.emplace_back(step.field_columns[i], std::move(members[i].second));
    batch.columns.emplace_back(step.counter, std::move(counter));
}

void fillAction(const BoundAction& action, const ColumnBatch& batch, Partial& partial) {
    if (action.kind == ActionKind::Count) {
        partial.count += batch.num_entries;
        return;
    }
    const Column values_column = action.value->evaluate(batch);
    const std::vector<double> values = detail::valuesAsDouble(values_column);
    partial.count += static_cast<std::int64_t>(values.size());
    switch (action.kind) {
        case ActionKind::Count: break;
        case ActionKind::Sum:
            for (const double v : values) partial.sum += v;
            break;
        case ActionKind::Min:
            for (const double v : values)
                if (!std::isnan(v) && !(v >= partial.min)) partial.min = v;
            break;
        case ActionKind::Max:
            for (const double v : values)
                if (!std::isnan(v) && !(v <= partial.max)) partial.max = v;
            break;
        case ActionKind::Histogram: {
            auto& histogram = partial.histogram;
            if (!action.weight) {
                for (const double v : values) histogram.fill(v);
                break;
            }
            const Column weight_column = action.weight->evaluate(batch);
            const std::vector<double> weights = detail::valuesAsDouble(weight_column);
            if (weight_column.levels() == values_column.levels()) {
                if (weights.size() != values.size())
                    throw UsageError(fmt::format(
                        "histogram '{}': the weight '{}' has {} values for {} objects",
                        histogram.name, action.weight->text(), weights.size(), values.size()));
                for (std::size_t i = 0; i < values.size(); ++i)
                    histogram.fill(values[i], weights[i]);
            } else {  // per-event weight, per-object values
                std::size_t i = 0;
                const auto counts = detail::rowCounts(values_column);
                for (std::size_t row = 0; row < counts.size(); ++row)
                    for (std::int64_t k = 0; k < counts[row]; ++k, ++i)
                        histogram.fill(values[i], weights[row]);
            }
            break;
        }
    }
}

// The rows and columns of `batch` that `output` writes. Copies only the rows an output keeps;
// a column whose last reader it is (`moved`) is taken whole.
ColumnBatch outputRows(const BoundOutput& output, const std::vector<bool>& moved,
                       ColumnBatch& batch) {
    kernels::RowSelection selection;
    std::int64_t kept = batch.num_entries;
    if (output.filter) {
        selection = kernels::selectRows(detail::truthValues(output.filter->evaluate(batch)));
        kept = static_cast<std::int64_t>(selection.rows.size());
    }
    const bool subset = kept != batch.num_entries;
    ColumnBatch selected;
    selected.first_entry = batch.first_entry;
    selected.num_entries = kept;
    for (std::size_t c = 0; c < output.columns.size(); ++c) {
        const std::string& name = output.columns[c];
        const auto found = std::find_if(batch.columns.begin(), batch.columns.end(),
                                        [&](const auto& column) { return column.first == name; });
        HEPFLOW_ASSERT(found != batch.columns.end(), "an output column was not computed");
        if (subset)
            selected.columns.emplace_back(
                name, detail::keepRows(found->second, selection, batch.num_entries));
        else if (moved[c])
            selected.columns.emplace_back(name, std::move(found->second));
        else
            selected.columns.emplace_back(name, found->second);
    }
    return selected;
}

}  // namespace

RunResult Analysis::run(const RunOptions& options) {
    check();
    const Plan& plan = *plan_;
    const auto start = Clock::now();
    const double cpu_start = cpuSeconds();
    const auto units = dataset_.workUnits(plan.read_columns, options.unit_bytes);
    const std::uint64_t fetched_before = dataset_.bytesFetched();

    RunResult result;
    result.metrics.steps = stepProfile(plan.steps);
    for (const auto& name : plan.filter_names) result.cutflow.push_back({name, 0});
    std::vector<Partial> totals(plan.actions.size());
    for (std::size_t i = 0; i < plan.actions.size(); ++i)
        totals[i].histogram = plan.actions[i].empty_histogram;

    // The outputs exist (as temporary files) only from here on; any error below removes them.
    struct Writer {
        std::unique_ptr<root::FileWriter> file;
        std::unique_ptr<root::TreeWriter> tree;
    };
    std::vector<Writer> writers;
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
        const auto& spec = outputs_[i].spec;
        root::FileWriteOptions file_options;
        file_options.compression = spec.compression;
        file_options.reproducible = spec.reproducible;
        Writer writer;
        writer.file = root::FileWriter::create(spec.path, file_options);
        const auto slash = spec.tree.rfind('/');
        const std::string directory =
            slash == std::string::npos ? std::string() : spec.tree.substr(0, slash);
        const std::string name =
            slash == std::string::npos ? spec.tree : spec.tree.substr(slash + 1);
        writer.tree = std::make_unique<root::TreeWriter>(
            *writer.file, writer.file->directory(directory), name, name, plan.outputs[i].specs);
        writers.push_back(std::move(writer));
        result.outputs.push_back({spec.path, spec.tree, plan.outputs[i].columns, 0, 0});
    }

    const auto process = [&](const WorkUnit& unit) {
        auto out = std::make_unique<UnitResult>();
        out->events = unit.end - unit.begin;
        const auto evaluate_start = Clock::now();
        // Each column is read when a step first needs it, with only the rows that passed the
        // filters before that step: a column read after a tight cut decodes few rows.
        ColumnBatch batch;
        batch.first_entry = unit.begin;
        batch.num_entries = unit.end - unit.begin;
        detail::DeferredRows rows(batch, plan.read_columns,
                                  [&](std::span<const std::string> names,
                                      std::optional<std::span<const std::int64_t>> selected) {
                                      const auto read_start = Clock::now();
                                      ColumnBatch read = selected
                                                             ? dataset_.read(unit, names, *selected)
                                                             : dataset_.read(unit, names);
                                      out->read_seconds += secondsSince(read_start);
                                      return std::move(read.columns);
                                  });
        out->steps.resize(plan.steps.size() + 1);
        // Times step s (or, after the last, the actions and outputs) into out->steps[s]: the
        // reads `require` makes (timed by the loader above), the rest of it (rows kept, never
        // below 0 by rounding), then `work`.
        const auto timed = [&](std::size_t s, const auto& require, const auto& work) {
            StepMetrics& times = out->steps[s];
            times.rows = batch.num_entries;
            const double read_before = out->read_seconds;
            const auto start = Clock::now();
            require();
            const auto required = Clock::now();
            times.read_seconds = out->read_seconds - read_before;
            times.filter_seconds = std::max(
                0.0, std::chrono::duration<double>(required - start).count() - times.read_seconds);
            work();
            times.evaluate_seconds = secondsSince(required);
        };
        for (std::size_t s = 0; s < plan.steps.size(); ++s) {
            const auto& step = plan.steps[s];
            timed(
                s, [&] { rows.require(step.computation.inputs()); },
                [&] {
                    Column column = step.computation.evaluate(batch);
                    // Before a filter copies the surviving rows; again below for unused new
                    // columns.
                    dropColumns(batch, plan.dead_after[s]);
                    switch (step.kind) {
                        case BoundStep::Kind::Objects:
                            addObjects(batch, step, std::move(column));
                            break;
                        case BoundStep::Kind::Define:
                            batch.columns.emplace_back(step.name, std::move(column));
                            break;
                        case BoundStep::Kind::Filter: {
                            const auto keep = detail::truthValues(column);
                            rows.filter(keep);
                            if (step.implied_from.empty())  // not an implied cut
                                out->passed.push_back(batch.num_entries);
                            break;
                        }
                    }
                    if (step.kind != BoundStep::Kind::Filter)
                        dropColumns(batch, plan.dead_after[s]);
                });
        }
        // What is left is read by the actions and outputs.
        timed(
            plan.steps.size(), [&] { rows.requireAll(); },
            [&] {
                out->actions.resize(plan.actions.size());
                for (std::size_t i = 0; i < plan.actions.size(); ++i) {
                    out->actions[i].histogram = plan.actions[i].empty_histogram;
                    fillAction(plan.actions[i], batch, out->actions[i]);
                }
                for (std::size_t o = 0; o < plan.outputs.size(); ++o)
                    out->outputs.push_back(outputRows(plan.outputs[o], plan.moved[o], batch));
            });
        out->evaluate_seconds = secondsSince(evaluate_start) - out->read_seconds;
        return out;
    };

    const std::int64_t total_events = dataset_.numEntries();
    std::int64_t done = 0;
    const auto merge = [&](const UnitResult& unit) {
        result.metrics.events_in += unit.events;
        result.metrics.read_seconds += unit.read_seconds;
        result.metrics.evaluate_seconds += unit.evaluate_seconds;
        addStepTimes(result.metrics.steps, unit.steps);
        for (std::size_t i = 0; i < unit.passed.size(); ++i)
            result.cutflow[i].passed += unit.passed[i];
        for (std::size_t i = 0; i < unit.actions.size(); ++i)
            mergePartial(plan.actions[i].kind, totals[i], unit.actions[i]);
        const auto write_start = Clock::now();
        for (std::size_t i = 0; i < unit.outputs.size(); ++i) {
            if (unit.outputs[i].num_entries == 0) continue;
            writers[i].tree->write(unit.outputs[i]);
            result.outputs[i].events += unit.outputs[i].num_entries;
        }
        result.metrics.write_seconds += secondsSince(write_start);
        done += unit.events;
        if (options.progress) options.progress(done, total_events);
    };

    tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
    arena.initialize();
    // A tbb::global_control limit (hepflow --threads) caps the arena.
    result.metrics.threads = static_cast<int>(std::min<std::size_t>(
        static_cast<std::size_t>(arena.max_concurrency()),
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism)));
    const std::size_t tokens = static_cast<std::size_t>(
        std::max(1, result.metrics.threads * std::max(1, options.units_per_thread)));
    // Results travel through the pipeline as unit indices into this table, not as pointers:
    // a pipeline cancelled by an exception drops its tokens without destroying them.
    std::vector<std::unique_ptr<UnitResult>> unit_results(units.size());
    arena.execute([&] {
        std::size_t next = 0;
        tbb::parallel_pipeline(
            tokens,
            tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                                [&](tbb::flow_control& control) -> std::size_t {
                                                    if (next >= units.size()) {
                                                        control.stop();
                                                        return 0;
                                                    }
                                                    return next++;
                                                }) &
                tbb::make_filter<std::size_t, std::size_t>(tbb::filter_mode::parallel,
                                                           [&](std::size_t index) {
                                                               unit_results[index] =
                                                                   process(units[index]);
                                                               return index;
                                                           }) &
                tbb::make_filter<std::size_t, void>(tbb::filter_mode::serial_in_order,
                                                    [&](std::size_t index) {
                                                        merge(*unit_results[index]);
                                                        unit_results[index].reset();
                                                    }));
    });

    for (std::size_t i = 0; i < plan.actions.size(); ++i) {
        ActionResult action;
        action.kind = plan.actions[i].kind;
        action.count = totals[i].count;
        switch (action.kind) {
            case ActionKind::Count:
                action.name = "count";
                action.value = static_cast<double>(totals[i].count);
                break;
            case ActionKind::Sum: action.value = totals[i].sum; break;
            case ActionKind::Min: action.value = totals[i].min; break;
            case ActionKind::Max: action.value = totals[i].max; break;
            case ActionKind::Histogram:
                action.histogram = std::move(totals[i].histogram);
                action.name = action.histogram.name;
                break;
        }
        if (action.name.empty()) action.name = plan.actions[i].value->text();
        result.actions.push_back(std::move(action));
    }

    // The files are committed together: each appears under its name only if all of them could
    // be finished (their fsyncs overlap), so an error leaves none of them.
    const auto write_start = Clock::now();
    for (auto& writer : writers) writer.tree->close();
    std::unique_ptr<root::FileWriter> histogram_file;
    if (!options.histogram_file.empty()) {
        histogram_file = root::FileWriter::create(options.histogram_file);
        for (const auto& action : result.actions)
            if (action.kind == ActionKind::Histogram)
                root::writeHistogram(*histogram_file, root::FileWriter::kTopDirectory,
                                     action.histogram);
    }
    std::vector<root::FileWriter*> files;
    for (auto& writer : writers) files.push_back(writer.file.get());
    if (histogram_file) files.push_back(histogram_file.get());
    arena.execute([&] { root::commitTogether(files); });  // within the run's thread count
    for (auto& output : result.outputs) {
        output.bytes = static_cast<std::int64_t>(std::filesystem::file_size(output.path));
        result.metrics.bytes_written += output.bytes;
    }
    writers.clear();
    result.metrics.write_seconds += secondsSince(write_start);
    result.metrics.units = static_cast<std::int64_t>(units.size());
    result.metrics.bytes_read = static_cast<std::int64_t>(dataset_.bytesFetched() - fetched_before);
    result.metrics.columns_read = plan.read_columns;
    result.metrics.wall_seconds = secondsSince(start);
    result.metrics.cpu_seconds = cpuSeconds() - cpu_start;
    return result;
}

}  // namespace hepflow::frame::engine
