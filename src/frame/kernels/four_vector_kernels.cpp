// Four-vector kernels: the (pt, eta, phi, mass) sum of a collection per event, of the members
// of combinations elementwise, and the smallest deltaR between two collections. All in double;
// inputs of other numeric types are widened once per call.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>

#include <fmt/format.h>

#include "frame/kernels/jagged_kernels.h"
#include "frame/kernels/kernel_support.h"
#include "frame/kernels/vector_math.h"

namespace hepflow::frame::kernels {

using namespace detail;

namespace {

// The values of a numeric column as doubles: a view of Float64 columns, else a widened copy.
class DoubleValues {
public:
    DoubleValues(const Column& column, std::string_view what) {
        if (column.dtype() == DType::Float64) {
            values_ = column.values<double>();
            return;
        }
        dispatchNumeric(column.dtype(), what, [&]<class T>(Tag<T>) {
            const auto* in = data<T>(column);
            copy_.resize(column.numValues());
            for (std::size_t i = 0; i < copy_.size(); ++i) copy_[i] = static_cast<double>(in[i]);
        });
        values_ = copy_;
    }
    DoubleValues(const DoubleValues&) = delete;
    DoubleValues& operator=(const DoubleValues&) = delete;
    // Moving a vector keeps its buffer, so the view stays valid.
    DoubleValues(DoubleValues&&) = default;
    DoubleValues& operator=(DoubleValues&&) = default;

    double operator[](std::int64_t i) const { return values_[static_cast<std::size_t>(i)]; }
    const double* pointer() const { return values_.data(); }

private:
    std::span<const double> values_;
    std::vector<double> copy_;
};

struct FourMomentum {
    double px = 0, py = 0, pz = 0, e = 0;
};

// One collection's four fields, checked to share one shape and turned into (px, py, pz, E)
// once per object; `i` in add() is a value index of the pt column (the other fields may be
// sliced from another base).
class FourVectorReader {
public:
    FourVectorReader(const FourVectorColumns& columns, std::string_view what) {
        const Column& pt_column = checked(columns.pt, what);
        const DoubleValues pt(pt_column, what);
        const DoubleValues eta(checked(columns.eta, what), what);
        const DoubleValues phi(checked(columns.phi, what), what);
        const std::int64_t eta_shift = checkShape(pt_column, *columns.eta, what);
        const std::int64_t phi_shift = checkShape(pt_column, *columns.phi, what);
        std::optional<DoubleValues> mass;
        std::int64_t mass_shift = 0;
        if (columns.mass != nullptr) {
            mass_shift = checkShape(pt_column, *columns.mass, what);
            mass.emplace(*columns.mass, what);
        }
        std::int64_t end = pt_column.length();
        if (pt_column.levels() == 1) {
            begin_ = pt_column.offsets(0).front();
            end = pt_column.offsets(0).back();
        }
        const auto n = static_cast<std::size_t>(end - begin_);
        for (auto* v : {&px_, &py_, &pz_, &energy_}) v->resize(n);
        polarToCartesian(pt.pointer() + begin_, eta.pointer() + begin_ + eta_shift,
                         phi.pointer() + begin_ + phi_shift,
                         mass ? mass->pointer() + begin_ + mass_shift : nullptr, n, px_.data(),
                         py_.data(), pz_.data(), energy_.data());
    }

    void add(FourMomentum& sum, std::int64_t i) const {
        const auto j = static_cast<std::size_t>(i - begin_);
        sum.px += px_[j];
        sum.py += py_[j];
        sum.pz += pz_[j];
        sum.e += energy_[j];
    }

private:
    static const Column& checked(const Column* column, std::string_view what) {
        if (column == nullptr)
            throw UsageError(fmt::format("{}: pt, eta and phi columns are required", what));
        return *column;
    }
    // Same counts per entry; returns the shift from a's value positions to b's.
    static std::int64_t checkShape(const Column& a, const Column& b, std::string_view what) {
        if (a.levels() != b.levels() || a.levels() > 1)
            throw UsageError(
                fmt::format("{}: four-vector fields must be numbers of one shape", what));
        if (a.levels() == 0) {
            if (a.length() != b.length())
                throw UsageError(
                    fmt::format("{}: fields have {} and {} entries", what, a.length(), b.length()));
            return 0;
        }
        checkSameCounts(levelOffsets(a, 0), levelOffsets(b, 0), what);
        return b.offsets(0).front() - a.offsets(0).front();
    }

    std::int64_t begin_ = 0;
    std::vector<double> px_, py_, pz_, energy_;
};

// Squared deltaPhi without a data-dependent branch: for |d| <= 3 pi (phi in [-pi, pi]),
// min(|d|, 2 pi - |d|) is the wrapped difference up to sign. Larger differences (unnormalised
// phi) take the fmod path first, a branch that is never taken on real data.
inline double deltaPhiSquared(double phi1, double phi2) {
    constexpr double kPi = std::numbers::pi;
    constexpr double kTwoPi = 2 * std::numbers::pi;
    double d = std::fabs(phi1 - phi2);
    if (d > 3 * kPi) [[unlikely]]
        d = std::fmod(d, kTwoPi);
    const double wrapped = kTwoPi - d;
    d = wrapped < d ? wrapped : d;
    return d * d;
}

struct MinDeltaRArgs {
    const Offsets& first;
    const Offsets& second;
    std::int64_t first_phi_shift;
    std::int64_t second_phi_shift;
    double* out;  // out[i - first.front()] for value position i of the first collection
    // Optional: only the second collection's objects whose byte here is non-zero take part
    // (indexed like second's eta values, shifted by second_mask_shift).
    const std::uint8_t* second_mask = nullptr;
    std::int64_t second_mask_shift = 0;
};

// Events have few objects, so the second collection's (eta, phi) of an event are staged in
// small local arrays (as double) and the inner loop is branch-free min-of-squares.
template <class T1, class T2>
void minDeltaRTyped(const MinDeltaRArgs& args, const T1* eta1, const T1* phi1, const T2* eta2,
                    const T2* phi2) {
    constexpr std::int64_t kStage = 32;
    double stage_eta[kStage];
    double stage_phi[kStage];
    const Offsets& a = args.first;
    const Offsets& b = args.second;
    const std::int64_t shift1 = args.first_phi_shift;
    const std::int64_t shift2 = args.second_phi_shift;
    const std::uint8_t* mask = args.second_mask;
    const std::int64_t mask_shift = args.second_mask_shift;
    double* out = args.out;
    const std::int64_t out_base = a.front();
    const std::size_t events = a.size() - 1;
    for (std::size_t e = 0; e < events; ++e) {
        const std::int64_t a_begin = a[e];
        const std::int64_t a_end = a[e + 1];
        if (a_begin == a_end) continue;
        const std::int64_t b_begin = b[e];
        const std::int64_t nb = b[e + 1] - b_begin;
        if (nb <= kStage) {
            // With a mask, the kept objects are compacted into the stage without a branch.
            std::int64_t staged = 0;
            for (std::int64_t j = 0; j < nb; ++j) {
                stage_eta[staged] = static_cast<double>(eta2[b_begin + j]);
                stage_phi[staged] = static_cast<double>(phi2[b_begin + j + shift2]);
                staged += mask == nullptr || mask[b_begin + j + mask_shift] != 0 ? 1 : 0;
            }
            for (std::int64_t i = a_begin; i < a_end; ++i) {
                const double eta = static_cast<double>(eta1[i]);
                const double phi = static_cast<double>(phi1[i + shift1]);
                double best = std::numeric_limits<double>::infinity();
                for (std::int64_t j = 0; j < staged; ++j) {
                    const double deta = eta - stage_eta[j];
                    const double d2 = deta * deta + deltaPhiSquared(phi, stage_phi[j]);
                    best = d2 < best ? d2 : best;
                }
                out[i - out_base] = std::sqrt(best);
            }
            continue;
        }
        for (std::int64_t i = a_begin; i < a_end; ++i) {
            const double eta = static_cast<double>(eta1[i]);
            const double phi = static_cast<double>(phi1[i + shift1]);
            double best = std::numeric_limits<double>::infinity();
            for (std::int64_t j = b_begin; j < b_begin + nb; ++j) {
                const double deta = eta - static_cast<double>(eta2[j]);
                const double d2 =
                    deta * deta + deltaPhiSquared(phi, static_cast<double>(phi2[j + shift2]));
                const bool kept = mask == nullptr || mask[j + mask_shift] != 0;
                best = kept && d2 < best ? d2 : best;
            }
            out[i - out_base] = std::sqrt(best);
        }
    }
}

}  // namespace

Column sumObjects(const FourVectorColumns& objects, FourVectorPart which) {
    const FourVectorReader reader(objects, "four-vector sum");
    const Offsets& offsets = jaggedOffsets(*objects.pt, "four-vector sum");
    const std::size_t events = offsets.size() - 1;
    Column out(DType::Float64);
    out.bytes().resize(events * sizeof(double));
    auto* dst = data<double>(out);
    for (std::size_t e = 0; e < events; ++e) {
        FourMomentum sum;
        for (std::int64_t i = offsets[e]; i < offsets[e + 1]; ++i) reader.add(sum, i);
        dst[e] = fourVectorPart(which, sum.px, sum.py, sum.pz, sum.e);
    }
    return out;
}

Column sumMembers(std::span<const FourVectorColumns> members, FourVectorPart which) {
    if (members.empty()) throw UsageError("four-vector sum: no objects");
    std::vector<FourVectorReader> readers;
    readers.reserve(members.size());
    for (const FourVectorColumns& member : members) readers.emplace_back(member, "four-vector sum");
    const Column& shape = *members.front().pt;
    Column out(DType::Float64, shape.levels());
    std::int64_t begin = 0;
    std::int64_t end = shape.length();
    if (shape.levels() == 1) {
        out.offsets(0) = rebased(levelOffsets(shape, 0));
        begin = shape.offsets(0).front();
        end = shape.offsets(0).back();
    }
    // Members may be sliced differently; only their counts must match the first.
    std::vector<std::int64_t> shifts(members.size());
    for (std::size_t m = 0; m < members.size(); ++m) {
        const Column& pt = *members[m].pt;
        if (pt.levels() != shape.levels() || pt.length() != shape.length())
            throw UsageError("four-vector sum: objects have different shapes");
        if (shape.levels() == 1) {
            checkSameCounts(shape.offsets(0), pt.offsets(0), "four-vector sum");
            shifts[m] = pt.offsets(0).front() - begin;
        }
    }
    out.bytes().resize(static_cast<std::size_t>(end - begin) * sizeof(double));
    auto* dst = data<double>(out);
    for (std::int64_t i = begin; i < end; ++i) {
        FourMomentum sum;
        for (std::size_t m = 0; m < readers.size(); ++m) readers[m].add(sum, i + shifts[m]);
        dst[i - begin] = fourVectorPart(which, sum.px, sum.py, sum.pz, sum.e);
    }
    return out;
}

Column minDeltaR(const Column& first_eta, const Column& first_phi, const Column& second_eta,
                 const Column& second_phi, const Column* second_mask) {
    constexpr std::string_view kWhat = "mindR";
    const Offsets& a = jaggedOffsets(first_eta, kWhat);
    const Offsets& a_phi = jaggedOffsets(first_phi, kWhat);
    const Offsets& b = jaggedOffsets(second_eta, kWhat);
    const Offsets& b_phi = jaggedOffsets(second_phi, kWhat);
    checkSameCounts(a, a_phi, kWhat);
    checkSameCounts(b, b_phi, kWhat);
    if (second_mask != nullptr) {
        if (second_mask->dtype() != DType::Bool)
            throw UsageError("mindR: the mask must be a per-object bool column");
        checkSameCounts(b, jaggedOffsets(*second_mask, kWhat), kWhat);
    }
    if (a.size() != b.size())
        throw UsageError(
            fmt::format("mindR: collections have different numbers of entries ({} "
                        "and {})",
                        a.size() - 1, b.size() - 1));

    Column out(DType::Float64, 1);
    out.offsets(0) = rebased(a);
    out.bytes().resize(static_cast<std::size_t>(a.back() - a.front()) * sizeof(double));
    MinDeltaRArgs args{a, b, a_phi.front() - a.front(), b_phi.front() - b.front(),
                       data<double>(out)};
    if (second_mask != nullptr) {
        args.second_mask = reinterpret_cast<const std::uint8_t*>(second_mask->bytes().data());
        args.second_mask_shift = second_mask->offsets(0).front() - b.front();
    }
    // Float32 and Float64 (the types of real eta/phi branches) are read directly; anything
    // else is widened to double once.
    const auto direct = [](const Column& c) {
        return c.dtype() == DType::Float32 || c.dtype() == DType::Float64;
    };
    if (direct(first_eta) && first_eta.dtype() == first_phi.dtype() && direct(second_eta) &&
        second_eta.dtype() == second_phi.dtype()) {
        const auto run = [&]<class T1>(Tag<T1>) {
            const T1* eta1 = data<T1>(first_eta);
            const T1* phi1 = data<T1>(first_phi);
            if (second_eta.dtype() == DType::Float32)
                minDeltaRTyped(args, eta1, phi1, data<float>(second_eta), data<float>(second_phi));
            else
                minDeltaRTyped(args, eta1, phi1, data<double>(second_eta),
                               data<double>(second_phi));
        };
        if (first_eta.dtype() == DType::Float32)
            run(Tag<float>{});
        else
            run(Tag<double>{});
        return out;
    }
    const DoubleValues eta1(first_eta, kWhat);
    const DoubleValues phi1(first_phi, kWhat);
    const DoubleValues eta2(second_eta, kWhat);
    const DoubleValues phi2(second_phi, kWhat);
    minDeltaRTyped(args, eta1.pointer(), phi1.pointer(), eta2.pointer(), phi2.pointer());
    return out;
}

}  // namespace hepflow::frame::kernels
