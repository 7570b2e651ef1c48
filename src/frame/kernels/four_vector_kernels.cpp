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

private:
    std::span<const double> values_;
    std::vector<double> copy_;
};

struct FourMomentum {
    double px = 0, py = 0, pz = 0, e = 0;
};

// One collection's four fields, checked to share one shape; `i` in add() is a value index of
// the pt column (the other fields may be sliced from another base).
class FourVectorReader {
public:
    FourVectorReader(const FourVectorColumns& columns, std::string_view what)
        : pt_(checked(columns.pt, what), what),
          eta_(checked(columns.eta, what), what),
          phi_(checked(columns.phi, what), what),
          eta_shift_(checkShape(*columns.pt, *columns.eta, what)),
          phi_shift_(checkShape(*columns.pt, *columns.phi, what)) {
        if (columns.mass != nullptr) {
            mass_shift_ = checkShape(*columns.pt, *columns.mass, what);
            mass_.emplace(*columns.mass, what);
        }
    }

    void add(FourMomentum& sum, std::int64_t i) const {
        const double pt = pt_[i];
        const double eta = eta_[i + eta_shift_];
        const double phi = phi_[i + phi_shift_];
        const double px = pt * std::cos(phi);
        const double py = pt * std::sin(phi);
        const double pz = pt * std::sinh(eta);
        const double mass = mass_ ? (*mass_)[i + mass_shift_] : 0.0;
        sum.px += px;
        sum.py += py;
        sum.pz += pz;
        sum.e += std::sqrt(px * px + py * py + pz * pz + mass * mass);
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

    DoubleValues pt_;
    DoubleValues eta_;
    DoubleValues phi_;
    std::int64_t eta_shift_ = 0;
    std::int64_t phi_shift_ = 0;
    std::int64_t mass_shift_ = 0;
    std::optional<DoubleValues> mass_;
};

double part(const FourMomentum& p, FourVectorPart part) {
    switch (part) {
        case FourVectorPart::Mass: {
            const double m2 = p.e * p.e - (p.px * p.px + p.py * p.py + p.pz * p.pz);
            return std::sqrt(std::max(m2, 0.0));
        }
        case FourVectorPart::Pt: return std::hypot(p.px, p.py);
        case FourVectorPart::Eta: {
            const double pt = std::hypot(p.px, p.py);
            return pt == 0.0 ? 0.0 : std::asinh(p.pz / pt);
        }
        case FourVectorPart::Phi: return std::atan2(p.py, p.px);
    }
    return 0.0;
}

// deltaPhi wrapped into [-pi, pi).
double deltaPhi(double phi1, double phi2) {
    constexpr double kTwoPi = 2 * std::numbers::pi;
    const double d = phi1 - phi2;
    return d - kTwoPi * std::floor((d + std::numbers::pi) / kTwoPi);
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
        dst[e] = part(sum, which);
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
        dst[i - begin] = part(sum, which);
    }
    return out;
}

Column minDeltaR(const Column& first_eta, const Column& first_phi, const Column& second_eta,
                 const Column& second_phi) {
    constexpr std::string_view kWhat = "mindR";
    const Offsets& a = jaggedOffsets(first_eta, kWhat);
    const Offsets& a_phi = jaggedOffsets(first_phi, kWhat);
    const Offsets& b = jaggedOffsets(second_eta, kWhat);
    const Offsets& b_phi = jaggedOffsets(second_phi, kWhat);
    checkSameCounts(a, a_phi, kWhat);
    checkSameCounts(b, b_phi, kWhat);
    if (a.size() != b.size())
        throw UsageError(
            fmt::format("mindR: collections have different numbers of entries ({} "
                        "and {})",
                        a.size() - 1, b.size() - 1));
    const DoubleValues eta1(first_eta, kWhat);
    const DoubleValues phi1(first_phi, kWhat);
    const DoubleValues eta2(second_eta, kWhat);
    const DoubleValues phi2(second_phi, kWhat);
    const std::int64_t shift1 = a_phi.front() - a.front();
    const std::int64_t shift2 = b_phi.front() - b.front();

    Column out(DType::Float64, 1);
    out.offsets(0) = rebased(a);
    out.bytes().resize(static_cast<std::size_t>(a.back() - a.front()) * sizeof(double));
    auto* dst = data<double>(out);
    const std::size_t events = a.size() - 1;
    for (std::size_t e = 0; e < events; ++e) {
        for (std::int64_t i = a[e]; i < a[e + 1]; ++i) {
            double best = std::numeric_limits<double>::infinity();
            for (std::int64_t j = b[e]; j < b[e + 1]; ++j) {
                const double deta = eta1[i] - eta2[j];
                const double dphi = deltaPhi(phi1[i + shift1], phi2[j + shift2]);
                best = std::min(best, deta * deta + dphi * dphi);
            }
            dst[i - a.front()] = std::sqrt(best);
        }
    }
    return out;
}

}  // namespace hepflow::frame::kernels
