// Structural kernels over jagged columns: masks, indexing, gathers, reductions, sorting,
// combinations, concatenation and four-vector sums. They are the per-object half of the
// expression language's runtime (docs/expressions.md); each loops over whole columns once.
// "Jagged" here means one level of offsets (offsets(0), which need not start at 0); results
// always have offsets starting at 0. Numeric inputs may be of any numeric DType.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "frame/columns/column.h"

namespace hepflow::frame::kernels {

// True when every offset is >= 0 and none is smaller than the one before it. Every loaded
// column and every kernel's offsets get this check, so it is one branch-free pass with
// independent accumulators (about memcpy's speed); callers look for the bad entry only when
// it says false.
bool offsetsAreOrdered(std::span<const std::int64_t> offsets);
// The same check made while copying: writes offsets[i] - offsets[0] to `out` (offsets.size()
// values) in the same pass, so that a column returned as it is reads its offsets once.
bool copyRebasedIfOrdered(std::span<const std::int64_t> offsets, std::int64_t* out);

// Rows of any column (flat, jagged at any depth, strings, structs with their members) where
// keep[row] != 0. keep.size() must equal column.length() (else UsageError). Members of any
// column are filtered with it.
Column filterRows(const Column& column, std::span<const std::uint8_t> keep);

// A row filter worked out once for all the columns of a batch: the numbers of the rows it
// keeps, so that filtering a column costs its kept rows, not all of them.
struct RowSelection {
    std::int64_t num_rows = 0;       // rows of the columns it filters
    std::vector<std::int64_t> rows;  // the rows kept, increasing, each below num_rows
};
// The rows where keep[row] != 0.
RowSelection selectRows(std::span<const std::uint8_t> keep);
// filterRows with the rows of `selection` (num_rows must equal column.length(), else
// UsageError).
Column filterRows(const Column& column, const RowSelection& selection);

// Objects of `jagged` where `mask` (a jagged Bool column with the same counts) is true. Lists of
// strings and doubly jagged columns keep whole objects; a Struct masks every member.
Column maskObjects(const Column& jagged, const Column& mask);

// A flat column of `offsets.size() - 1` entries repeated over each event's objects.
Column broadcast(const Column& flat, const Offsets& offsets);

// Jagged Int64 0..n-1 per event.
Column localIndex(const Offsets& offsets);

// Per event, the object at `index` (a flat Int64 column or one value for all events; negative
// counts from the end). Missing (out of range): NaN for floats, 0 for ints, false for bool.
Column take(const Column& jagged, const Column& index);
Column take(const Column& jagged, std::int64_t index);

// Per event, the objects at the local positions in `indices` (jagged Int64); the result has
// the offsets of `indices`. Missing positions as in take().
Column gather(const Column& jagged, const Column& indices);

// The objects of combinations' member m: `jagged` read at `absolute` (Combinations::absolute,
// positions among the values of a column with the offsets `made_from` the combinations were
// made of) in one flat loop when `jagged` is one level of numbers with exactly those offsets,
// else gather(jagged, local). Shaped like `local`.
Column gatherCombined(const Column& jagged, const Offsets& made_from, const Column& absolute,
                      const Column& local);

enum class Reduction { Sum, Count, CountTrue, Any, All, Min, Max, Mean, ArgMin, ArgMax };
// A flat column per event. Result dtypes: Sum of Bool/ints -> Int64, of floats -> the same
// float type (accumulated in double); Count/CountTrue/ArgMin/ArgMax -> Int64; Any/All -> Bool;
// Min/Max -> the input type (ints as Int64; empty: NaN / 0); Mean -> Float64 (NaN if empty).
// Min/Max/ArgMin/ArgMax skip NaN (so x[argmin(x)] == min(x)); ArgMin/ArgMax give the first
// extreme, -1 when nothing is left, and Min/Max then NaN. CountTrue counts non-zero values.
// `jagged` must have one level of numbers or bools.
Column reduce(Reduction op, const Column& jagged);

// Per event, the local positions that sort `key` ascending (stable, NaN last): jagged Int64.
Column argsort(const Column& key);

// Combinations of objects within each event, in lexicographic order of the positions:
// `members[m]` is a jagged Int64 column of local positions of the m-th member; all share
// `offsets`. Size k (2 or 3) with i < j (< k) in one collection, or every (i, j) across two.
// `absolute[m]` holds the same objects as positions among all values (offsets[e] + local, with
// the offsets the member was made from), for gatherCombined.
struct Combinations {
    Offsets offsets;
    std::vector<Column> members;
    std::vector<Column> absolute;
};
Combinations combinations(const Offsets& offsets, int k);
Combinations crossPairs(const Offsets& first, const Offsets& second);
// Per event, only the combination at position index[e] of combinations(first, k) (`second`
// null) or of crossPairs(first, *second) (k = 2): negative positions count from the end, and an
// event whose position is out of range has none. What `pairs(C, f)[i]` needs: f of one
// combination per event, not of all of them.
Combinations selectedCombination(const Offsets& first, const Offsets* second, int k,
                                 std::span<const std::int64_t> index);

// Per event, the objects of `first` then those of `second` (same dtype).
Column concat(const Column& first, const Column& second);
// Where concat(first, second) puts each object, for concatLaidOut and concatSource: a jagged
// Int64 column with concat's offsets whose values are the result positions of first's objects,
// in order, then those of second's (an operand, not a per-object value).
Column concatLayout(const Offsets& first, const Offsets& second);
// The `source` of concat(first, second)'s objects from its `layout`, `from_first` being the
// number of first's objects: per event, 0 for each of first's objects, then 1 for each of
// second's (jagged Int64).
Column concatSource(const Column& layout, std::int64_t from_first);
// concat(first, second) of fields of the two collections whose offsets made `layout`: each
// value goes straight to its position, with no per-event work left (a concatenated
// collection has several fields; concatLayout does the per-event part once for all). Fields
// must have their collections' counts, as fields of one collection do; only the totals are
// checked (other totals, strings and deeper shapes go through concat).
Column concatLaidOut(const Column& first, const Column& second, const Column& layout);

// Four-vectors given by pt, eta, phi, mass columns of one shape (flat or jagged alike).
struct FourVectorColumns {
    const Column* pt = nullptr;
    const Column* eta = nullptr;
    const Column* phi = nullptr;
    const Column* mass = nullptr;  // null: massless
};
enum class FourVectorPart { Mass, Pt, Eta, Phi };
// `part` of the four-vector (px, py, pz, E): mass (0 below threshold), pt, eta (0 at pt 0),
// phi. Inline: called per object or combination with a constant `part`, the switch folds. pt
// is sqrt(px^2 + py^2), not std::hypot: momenta are far from where the squares overflow, and
// hypot's scaling is a library call per combination (1.3% of the dimuon example's CPU).
inline double fourVectorPart(FourVectorPart part, double px, double py, double pz, double e) {
    switch (part) {
        case FourVectorPart::Mass:
            return std::sqrt(std::max(e * e - (px * px + py * py + pz * pz), 0.0));
        case FourVectorPart::Pt: return std::sqrt(px * px + py * py);
        case FourVectorPart::Eta: {
            const double pt = std::sqrt(px * px + py * py);
            return pt == 0.0 ? 0.0 : std::asinh(pz / pt);
        }
        case FourVectorPart::Phi: return std::atan2(py, px);
    }
    return 0.0;
}
// Per event, `part` of the sum of all objects of a jagged collection (Float64, 0 when empty).
Column sumObjects(const FourVectorColumns& objects, FourVectorPart part);
// Elementwise `part` of the sum of several same-shaped four-vectors (e.g. the members of
// each combination): Float64 with the shape of the inputs.
Column sumMembers(std::span<const FourVectorColumns> members, FourVectorPart part);

// Per object of `first`, the smallest deltaR to an object of `second` in the same event
// (Float64, +inf when `second` is empty). Both jagged over the same events. With
// `second_mask` (a Bool column shaped like `second`), only the objects it keeps take part:
// the same result as masking `second` first, without copying its fields.
Column minDeltaR(const Column& first_eta, const Column& first_phi, const Column& second_eta,
                 const Column& second_phi, const Column* second_mask = nullptr);

}  // namespace hepflow::frame::kernels
