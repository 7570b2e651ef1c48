// Per-event reductions of per-object columns (sum, count, any, all, min, max, mean, argmin,
// argmax) and the stable argsort with NaN last. One dtype dispatch per call; each event is a
// contiguous run of values, reduced in one pass.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "frame/kernels/jagged_kernels.h"
#include "frame/kernels/kernel_support.h"

namespace hepflow::frame::kernels {

using namespace detail;

namespace {

template <class R>
Column flatResult(std::size_t events) {
    Column out(dtypeOf<R>());
    out.bytes().resize(events * sizeof(Storage<R>));
    return out;
}

// Applies `per_event(first, last)` (pointers to the event's values) and stores its result.
template <class R, class S, class F>
Column reduceEvents(const Offsets& offsets, const S* values, F&& per_event) {
    const std::size_t events = offsets.size() - 1;
    Column out = flatResult<R>(events);
    auto* dst = data<R>(out);
    for (std::size_t e = 0; e < events; ++e)
        dst[e] = static_cast<Storage<R>>(per_event(values + offsets[e], values + offsets[e + 1]));
    return out;
}

// The true values of each event of a bool column, without a loop per event (whose length,
// a few objects, the branch predictor keeps missing): a running count over all the values,
// read at each event's ends. The counters of every object selection come through here.
template <class S>
Column countTrueOfBools(const Offsets& offsets, const S* values) {
    const std::size_t events = offsets.size() - 1;
    Column out = flatResult<std::int64_t>(events);
    auto* dst = data<std::int64_t>(out);
    if (events == 0) return out;
    const std::int64_t base = offsets[0];
    const auto n = static_cast<std::size_t>(offsets[events] - base);
    Offsets before;  // true values before each position (every one written: not zeroed first)
    before.resize(n + 1);
    const S* first = values + base;
    std::int64_t running = 0;
    for (std::size_t i = 0; i < n; ++i) {
        before[i] = running;
        running += first[i] != S{0} ? 1 : 0;
    }
    before[n] = running;
    for (std::size_t e = 0; e < events; ++e)
        dst[e] = before[static_cast<std::size_t>(offsets[e + 1] - base)] -
                 before[static_cast<std::size_t>(offsets[e] - base)];
    return out;
}

template <class S>
bool isNan(S value) {
    if constexpr (std::is_floating_point_v<S>)
        return std::isnan(value);
    else
        return false;
}

// Position of the first minimum (Better = std::less) or maximum, skipping NaN; -1 if none.
// Selects, not branches: which object wins is data, and with a few objects per event a
// mispredicted branch per object costs more than the comparisons. NaN reads as the worst
// value, which never wins; only when nothing beats it is the first non-NaN looked for.
template <class S, class Better>
std::int64_t argBest(const S* first, const S* last, Better better) {
    constexpr bool kMin = std::is_same_v<Better, std::less<S>>;
    using Limits = std::numeric_limits<S>;
    constexpr S kWorst = Limits::has_infinity ? (kMin ? Limits::infinity() : -Limits::infinity())
                                              : (kMin ? Limits::max() : Limits::lowest());
    std::int64_t best = -1;
    S best_value = kWorst;
    bool any = false;
    const std::int64_t n = last - first;
    for (std::int64_t i = 0; i < n; ++i) {
        const bool nan = isNan(first[i]);
        const S key = nan ? kWorst : first[i];
        const bool wins = better(key, best_value);
        best = wins ? i : best;
        best_value = wins ? key : best_value;
        any = any || !nan;
    }
    if (best < 0 && any)  // every value is the worst one (or NaN)
        for (std::int64_t i = 0; i < n; ++i)
            if (!isNan(first[i])) return i;
    return best;
}

template <class T>
Column reduceTyped(Reduction op, const Offsets& offsets, const Storage<T>* values) {
    using S = Storage<T>;
    constexpr bool kFloat = std::is_floating_point_v<T>;
    constexpr bool kBool = std::is_same_v<T, bool>;
    // Min/Max keep the input type, with every integer widened to Int64.
    using Extreme = std::conditional_t<kFloat || kBool, T, std::int64_t>;
    switch (op) {
        case Reduction::Sum:
            if constexpr (kBool) return countTrueOfBools(offsets, values);
            if constexpr (kFloat) {
                return reduceEvents<T>(offsets, values, [](const S* a, const S* b) {
                    double sum = 0;
                    for (; a != b; ++a) sum += *a;
                    return static_cast<T>(sum);
                });
            } else {
                return reduceEvents<std::int64_t>(offsets, values, [](const S* a, const S* b) {
                    std::int64_t sum = 0;
                    for (; a != b; ++a) {
                        if constexpr (kBool)
                            sum += *a != 0;
                        else
                            sum += static_cast<std::int64_t>(*a);
                    }
                    return sum;
                });
            }
        case Reduction::Count:
            return reduceEvents<std::int64_t>(
                offsets, values, [](const S* a, const S* b) { return std::int64_t{b - a}; });
        case Reduction::CountTrue:
            if constexpr (kBool) return countTrueOfBools(offsets, values);
            return reduceEvents<std::int64_t>(offsets, values, [](const S* a, const S* b) {
                std::int64_t count = 0;
                for (; a != b; ++a) count += *a != S{0};
                return count;
            });
        case Reduction::Any:
            return reduceEvents<bool>(offsets, values, [](const S* a, const S* b) {
                return std::any_of(a, b, [](S v) { return v != S{0}; });
            });
        case Reduction::All:
            return reduceEvents<bool>(offsets, values, [](const S* a, const S* b) {
                return std::all_of(a, b, [](S v) { return v != S{0}; });
            });
        case Reduction::Min:
        case Reduction::Max: {
            const bool is_min = op == Reduction::Min;
            return reduceEvents<Extreme>(offsets, values, [is_min](const S* a, const S* b) {
                const std::int64_t best =
                    is_min ? argBest(a, b, std::less<S>()) : argBest(a, b, std::greater<S>());
                if (best < 0) return missingValue<Extreme>();
                if constexpr (kBool)
                    return static_cast<Storage<Extreme>>(a[best] != 0);
                else
                    return static_cast<Storage<Extreme>>(a[best]);
            });
        }
        case Reduction::Mean:
            return reduceEvents<double>(offsets, values, [](const S* a, const S* b) {
                if (a == b) return std::numeric_limits<double>::quiet_NaN();
                double sum = 0;
                const auto n = static_cast<double>(b - a);
                for (; a != b; ++a) {
                    if constexpr (kBool)
                        sum += *a != 0;
                    else
                        sum += static_cast<double>(*a);
                }
                return sum / n;
            });
        case Reduction::ArgMin:
            return reduceEvents<std::int64_t>(offsets, values, [](const S* a, const S* b) {
                return argBest(a, b, std::less<S>());
            });
        case Reduction::ArgMax:
            return reduceEvents<std::int64_t>(offsets, values, [](const S* a, const S* b) {
                return argBest(a, b, std::greater<S>());
            });
    }
    throw UsageError("reduce: unknown reduction");
}

// Stable "less" with NaN after every number (and equal to another NaN), bools as 0/1.
template <class T>
struct NanLastLess {
    const Storage<T>* values;
    bool operator()(std::int64_t i, std::int64_t j) const {
        const Storage<T> a = values[i];
        const Storage<T> b = values[j];
        if constexpr (std::is_floating_point_v<T>)
            return a < b || (!std::isnan(a) && std::isnan(b));
        else if constexpr (std::is_same_v<T, bool>)
            return (a != 0) < (b != 0);
        else
            return a < b;
    }
};

// Insertion sort for the short lists typical of events (no allocation), std::stable_sort above.
constexpr std::int64_t kInsertionSortMax = 16;

template <class Less>
void stableSortIndices(std::int64_t* first, std::int64_t* last, Less less) {
    if (last - first > kInsertionSortMax) {
        std::stable_sort(first, last, less);
        return;
    }
    for (std::int64_t* p = first + 1; p < last; ++p) {
        const std::int64_t item = *p;
        std::int64_t* q = p;
        for (; q > first && less(item, *(q - 1)); --q) *q = *(q - 1);
        *q = item;
    }
}

}  // namespace

Column reduce(Reduction op, const Column& jagged) {
    const Offsets& offsets = jaggedOffsets(jagged, "reduce");
    if (jagged.levels() != 1)
        throw UsageError(
            fmt::format("reduce: needs one value per object, got a {} column with {} "
                        "levels",
                        dtypeName(jagged.dtype()), jagged.levels()));
    return dispatchNumeric(jagged.dtype(), "reduce", [&]<class T>(Tag<T>) {
        return reduceTyped<T>(op, offsets, data<T>(jagged));
    });
}

Column argsort(const Column& key) {
    const Offsets& offsets = jaggedOffsets(key, "argsort");
    if (key.levels() != 1)
        throw UsageError(
            fmt::format("argsort: needs one value per object, got {} levels", key.levels()));
    Column out(DType::Int64, 1);
    out.offsets(0) = rebased(offsets);
    const std::size_t events = offsets.size() - 1;
    out.bytes().resize(static_cast<std::size_t>(offsets.back() - offsets.front()) *
                       sizeof(std::int64_t));
    auto* dst = data<std::int64_t>(out);
    dispatchNumeric(key.dtype(), "argsort", [&]<class T>(Tag<T>) {
        const Storage<T>* values = data<T>(key);
        for (std::size_t e = 0; e < events; ++e) {
            std::int64_t* first = dst + (offsets[e] - offsets.front());
            const std::int64_t n = offsets[e + 1] - offsets[e];
            for (std::int64_t i = 0; i < n; ++i) first[i] = i;
            stableSortIndices(first, first + n, NanLastLess<T>{values + offsets[e]});
        }
    });
    return out;
}

}  // namespace hepflow::frame::kernels
