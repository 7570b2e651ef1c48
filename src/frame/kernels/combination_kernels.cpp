// Combinations of objects within an event (pairs and triplets i < j < k) and across two
// collections (every (i, j)), as jagged Int64 columns of local positions in lexicographic
// order, and of the same objects' absolute positions; the sizes are counted first so every
// output is allocated once.
#include <array>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "frame/kernels/jagged_kernels.h"
#include "frame/kernels/kernel_support.h"

namespace hepflow::frame::kernels {

using namespace detail;

namespace {

Combinations allocate(Offsets offsets, std::size_t members) {
    Combinations out;
    out.offsets = std::move(offsets);
    const auto total = static_cast<std::size_t>(out.offsets.back());
    out.members.reserve(members);
    out.absolute.reserve(members);
    for (std::size_t m = 0; m < 2 * members; ++m) {
        Column& column = (m < members ? out.members : out.absolute).emplace_back(DType::Int64, 1);
        column.offsets(0) = out.offsets;
        column.bytes().resize(total * sizeof(std::int64_t));
    }
    return out;
}

}  // namespace

Combinations combinations(const Offsets& offsets, int k) {
    if (k != 2 && k != 3)
        throw UsageError(fmt::format("combinations: size must be 2 or 3, got {}", k));
    checkOffsets(offsets, "combinations");
    const std::size_t events = offsets.size() - 1;
    Offsets out_offsets(events + 1);  // uninitialized (Offsets' allocator): all written
    out_offsets[0] = 0;
    double total = 0;  // in double first: n^3 of a huge event would overflow int64
    for (std::size_t e = 0; e < events; ++e) {
        const auto n = static_cast<double>(offsets[e + 1] - offsets[e]);
        total += k == 2 ? n * (n - 1) / 2 : n * (n - 1) * (n - 2) / 6;
    }
    checkResultSize(total * k, k == 2 ? "pairs" : "triplets");
    for (std::size_t e = 0; e < events; ++e) {
        const std::int64_t n = offsets[e + 1] - offsets[e];
        const std::int64_t count = k == 2 ? n * (n - 1) / 2 : n * (n - 1) * (n - 2) / 6;
        out_offsets[e + 1] = out_offsets[e] + count;
    }
    Combinations out = allocate(std::move(out_offsets), static_cast<std::size_t>(k));
    auto* first = data<std::int64_t>(out.members[0]);
    auto* second = data<std::int64_t>(out.members[1]);
    auto* first_abs = data<std::int64_t>(out.absolute[0]);
    auto* second_abs = data<std::int64_t>(out.absolute[1]);
    std::int64_t at = 0;
    if (k == 2) {
        for (std::size_t e = 0; e < events; ++e) {
            const std::int64_t base = offsets[e];
            const std::int64_t n = offsets[e + 1] - base;
            for (std::int64_t i = 0; i < n; ++i)
                for (std::int64_t j = i + 1; j < n; ++j, ++at) {
                    first[at] = i;
                    second[at] = j;
                    first_abs[at] = base + i;
                    second_abs[at] = base + j;
                }
        }
    } else {
        auto* third = data<std::int64_t>(out.members[2]);
        auto* third_abs = data<std::int64_t>(out.absolute[2]);
        for (std::size_t e = 0; e < events; ++e) {
            const std::int64_t base = offsets[e];
            const std::int64_t n = offsets[e + 1] - base;
            for (std::int64_t i = 0; i < n; ++i)
                for (std::int64_t j = i + 1; j < n; ++j)
                    for (std::int64_t l = j + 1; l < n; ++l, ++at) {
                        first[at] = i;
                        second[at] = j;
                        third[at] = l;
                        first_abs[at] = base + i;
                        second_abs[at] = base + j;
                        third_abs[at] = base + l;
                    }
        }
    }
    HEPFLOW_ASSERT(at == out.offsets.back(), "combination count");
    return out;
}

Combinations crossPairs(const Offsets& first, const Offsets& second) {
    checkOffsets(first, "crossPairs");
    checkOffsets(second, "crossPairs");
    if (first.size() != second.size())
        throw UsageError(
            fmt::format("crossPairs: collections have different numbers of entries "
                        "({} and {})",
                        first.size() - 1, second.size() - 1));
    const std::size_t events = first.size() - 1;
    Offsets out_offsets(events + 1);  // uninitialized (Offsets' allocator): all written
    out_offsets[0] = 0;
    double total = 0;
    for (std::size_t e = 0; e < events; ++e)
        total += static_cast<double>(first[e + 1] - first[e]) *
                 static_cast<double>(second[e + 1] - second[e]);
    checkResultSize(total * 2, "pairs");
    for (std::size_t e = 0; e < events; ++e)
        out_offsets[e + 1] =
            out_offsets[e] + (first[e + 1] - first[e]) * (second[e + 1] - second[e]);
    Combinations out = allocate(std::move(out_offsets), 2);
    auto* a = data<std::int64_t>(out.members[0]);
    auto* b = data<std::int64_t>(out.members[1]);
    auto* a_abs = data<std::int64_t>(out.absolute[0]);
    auto* b_abs = data<std::int64_t>(out.absolute[1]);
    std::int64_t at = 0;
    for (std::size_t e = 0; e < events; ++e) {
        const std::int64_t n1 = first[e + 1] - first[e];
        const std::int64_t n2 = second[e + 1] - second[e];
        for (std::int64_t i = 0; i < n1; ++i)
            for (std::int64_t j = 0; j < n2; ++j, ++at) {
                a[at] = i;
                b[at] = j;
                a_abs[at] = first[e] + i;
                b_abs[at] = second[e] + j;
            }
    }
    return out;
}

namespace {

// C(n, k) for k = 2 or 3; UsageError past 2^21 objects in an event (where n^3 would not fit),
// which the full enumeration refuses long before (checkResultSize).
std::int64_t combinationCount(std::int64_t n, int k) {
    constexpr std::int64_t kExact = std::int64_t{1} << 21;
    if (n > kExact)
        throw UsageError(fmt::format("{} of an event of {} objects are too many to count",
                                     k == 2 ? "pairs" : "triplets", n));
    return k == 2 ? n * (n - 1) / 2 : n * (n - 1) * (n - 2) / 6;
}

// The (i, j) with i < j < n at position p of the lexicographic order (0 <= p < C(n, 2)).
std::pair<std::int64_t, std::int64_t> unrankPair(std::int64_t n, std::int64_t p) {
    std::int64_t i = 0;
    for (std::int64_t block = n - 1; p >= block; --block, ++i) p -= block;  // pairs (i, *)
    return {i, i + 1 + p};
}

}  // namespace

Combinations selectedCombination(const Offsets& first, const Offsets* second, int k,
                                 std::span<const std::int64_t> index) {
    constexpr std::string_view kWhat = "combination at an index";
    if (k != 2 && k != 3)
        throw UsageError(fmt::format("combinations: size must be 2 or 3, got {}", k));
    checkOffsets(first, kWhat);
    if (second != nullptr) {
        checkOffsets(*second, kWhat);
        if (k != 2 || second->size() != first.size())
            throw UsageError(fmt::format("{}: pairs across collections of {} and {} entries", kWhat,
                                         first.size() - 1, second->size() - 1));
    }
    const std::size_t events = first.size() - 1;
    if (index.size() != events)
        throw UsageError(fmt::format("{}: index has {} entries but the collection has {}", kWhat,
                                     index.size(), events));
    // The chosen members' local positions per event (found[e]: whether there is one).
    std::vector<std::array<std::int64_t, 3>> chosen(events);
    std::vector<std::uint8_t> found(events, 0);
    Offsets out_offsets(events + 1);  // uninitialized (Offsets' allocator): all written
    out_offsets[0] = 0;
    for (std::size_t e = 0; e < events; ++e) {
        const std::int64_t n1 = first[e + 1] - first[e];
        const std::int64_t n2 = second != nullptr ? (*second)[e + 1] - (*second)[e] : 0;
        std::int64_t count = 0;
        if (second == nullptr)
            count = combinationCount(n1, k);
        else if (__builtin_mul_overflow(n1, n2, &count))
            throw UsageError(
                fmt::format("pairs of {} and {} objects are too many to count", n1, n2));
        const std::int64_t p = index[e] < 0 ? index[e] + count : index[e];
        if (p >= 0 && p < count) {
            found[e] = 1;
            if (second != nullptr) {
                chosen[e] = {p / n2, p % n2, 0};
            } else if (k == 2) {
                const auto [i, j] = unrankPair(n1, p);
                chosen[e] = {i, j, 0};
            } else {
                // Triplets (i, *, *) are the pairs of the n1 - 1 - i objects after i.
                std::int64_t i = 0;
                std::int64_t rest = p;
                for (std::int64_t block = combinationCount(n1 - 1, 2); rest >= block;
                     block = combinationCount(n1 - 1 - ++i, 2))
                    rest -= block;
                const auto [j, l] = unrankPair(n1 - 1 - i, rest);
                chosen[e] = {i, i + 1 + j, i + 1 + l};
            }
        }
        out_offsets[e + 1] = out_offsets[e] + found[e];
    }
    Combinations out = allocate(std::move(out_offsets), static_cast<std::size_t>(k));
    std::int64_t at = 0;
    for (std::size_t e = 0; e < events; ++e) {
        if (found[e] == 0) continue;
        for (std::size_t m = 0; m < static_cast<std::size_t>(k); ++m) {
            const Offsets& from = second != nullptr && m == 1 ? *second : first;
            data<std::int64_t>(out.members[m])[at] = chosen[e][m];
            data<std::int64_t>(out.absolute[m])[at] = from[e] + chosen[e][m];
        }
        ++at;
    }
    return out;
}

}  // namespace hepflow::frame::kernels
