// Basket-level decoders of element branches: entry offsets checked once per basket, then either
// the plan walker per entry or one bulk conversion of numbers per entry or per basket.
#include "root/tree/detail/element_decoders.h"

#include <span>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "root/endian.h"
#include "root/tree/basic_interpretation.h"
#include "root/tree/detail/plan_decoder.h"

namespace hepflow::root::detail {

using frame::Column;
using frame::DType;

namespace {

Column makeSinkColumn(const SinkSpec& sink) {
    return Column(sink.dtype, sink.levels);
}

bool isSingleColumn(const std::vector<SinkSpec>& sinks) {
    return sinks.size() == 1 && (sinks[0].name.empty() || sinks[0].name == "#string");
}

// Checks the basket's entry offsets (the tree core builds them; this guards the decoders).
void checkOffsets(const BasketData& basket) {
    const auto n = static_cast<std::size_t>(basket.num_entries);
    const auto& offsets = basket.entry_offsets;
    if (offsets.size() != n + 1)
        basket.reader().failAt(
            0, fmt::format("basket of {} entries has {} entry offsets", n, offsets.size()));
    for (std::size_t i = 0; i < n; ++i)
        if (offsets[i] < 0 || offsets[i] > offsets[i + 1] ||
            static_cast<std::size_t>(offsets[i + 1]) > basket.data.size())
            basket.reader().failAt(0,
                                   fmt::format("entry offsets {}..{} of entry {} lie outside "
                                               "the {}-byte data",
                                               offsets[i], offsets[i + 1], i, basket.data.size()));
}

class PlanInterpretation final : public Interpretation {
public:
    PlanInterpretation(std::unique_ptr<Node> root, std::vector<SinkSpec> sinks, bool items,
                       std::string description)
        : root_(std::move(root)),
          sinks_(std::move(sinks)),
          items_(items),
          single_(isSingleColumn(sinks_)),
          description_(std::move(description)) {}

    InterpretationKind kind() const override {
        if (!single_) return InterpretationKind::Object;
        if (sinks_[0].dtype == DType::String) return InterpretationKind::String;
        return sinks_[0].levels > 0 ? InterpretationKind::Jagged : InterpretationKind::Flat;
    }
    std::string describe() const override { return description_; }

    Column makeColumn() const override {
        if (single_) return makeSinkColumn(sinks_[0]);
        Column column(DType::Struct);
        for (const auto& sink : sinks_)
            column.members().emplace_back(sink.name, makeSinkColumn(sink));
        return column;
    }

    void decode(const BasketData& basket, Column& out) const override {
        std::vector<Column*> columns;
        if (single_) {
            columns.push_back(&out);
        } else {
            HEPFLOW_ASSERT(out.members().size() == sinks_.size(), "column from makeColumn()");
            for (auto& member : out.members()) columns.push_back(&member.second);
        }
        const auto n = static_cast<std::size_t>(basket.num_entries);
        const auto& offsets = basket.entry_offsets;
        Cursor cursor(basket);
        PlanDecoder decoder(cursor, columns);
        if (offsets.empty()) {
            if (items_)
                cursor.unsupported(0, fmt::format("{}: split collection member basket without "
                                                  "entry offsets",
                                                  description_));
            // Self-delimiting values one after the other.
            cursor.setRange(0, basket.data.size());
            for (std::size_t i = 0; i < n; ++i) decoder.decode(*root_);
            if (!cursor.atEnd())
                cursor.fail(cursor.position(), fmt::format("{} bytes left after the last of {} "
                                                           "entries",
                                                           cursor.remaining(), n));
        } else {
            checkOffsets(basket);
            for (std::size_t i = 0; i < n; ++i) {
                cursor.setRange(static_cast<std::size_t>(offsets[i]),
                                static_cast<std::size_t>(offsets[i + 1]));
                if (items_) {
                    while (!cursor.atEnd()) decoder.decode(*root_);
                    for (auto* column : columns) endList(*column, 0);
                } else {
                    decoder.decode(*root_);
                    if (!cursor.atEnd())
                        cursor.fail(cursor.position(),
                                    fmt::format("entry {} has {} bytes left after its value", i,
                                                cursor.remaining()));
                }
            }
        }
        if (!single_) out.setStructLength(out.length() + basket.num_entries);
    }

private:
    std::unique_ptr<Node> root_;
    std::vector<SinkSpec> sinks_;
    bool items_;
    bool single_;
    std::string description_;
};

// std::vector of plain numbers, one per entry (a top-level branch or a split member):
// count+version, int32 n, n values. A first pass checks every header and sizes the column
// once; the second converts each entry's values in place.
template <class T>
class NumberVectorInterpretation final : public Interpretation {
public:
    explicit NumberVectorInterpretation(std::string description)
        : description_(std::move(description)) {}

    InterpretationKind kind() const override { return InterpretationKind::Jagged; }
    std::string describe() const override { return description_; }
    Column makeColumn() const override { return Column(frame::dtypeOf<T>(), 1); }

    void decode(const BasketData& basket, Column& out) const override {
        const auto n = static_cast<std::size_t>(basket.num_entries);
        const auto& offsets = basket.entry_offsets;
        const bool has_offsets = !offsets.empty();
        if (has_offsets) checkOffsets(basket);
        Cursor cursor(basket);
        if (!has_offsets) cursor.setRange(0, basket.data.size());
        std::vector<const std::byte*> starts(n);
        auto& column_offsets = out.offsets(0);
        column_offsets.reserve(column_offsets.size() + n);
        std::size_t total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (has_offsets)
                cursor.setRange(static_cast<std::size_t>(offsets[i]),
                                static_cast<std::size_t>(offsets[i + 1]));
            const std::size_t start = cursor.position();
            std::int16_t version = 0;
            const std::size_t end = cursor.readHeader(version);
            if (version & kStreamedMemberWise)
                cursor.unsupported(start, fmt::format("member-wise streamed {}", description_));
            const std::size_t count = cursor.readCount(sizeof(T), description_);
            starts[i] = cursor.take(count * sizeof(T));
            cursor.expectEnd(end, start, description_);
            if (has_offsets && !cursor.atEnd())
                cursor.fail(cursor.position(), fmt::format("entry {} has {} bytes left after "
                                                           "its value",
                                                           i, cursor.remaining()));
            total += count;
            column_offsets.push_back(column_offsets.back() + static_cast<std::int64_t>(count));
        }
        if (!has_offsets && !cursor.atEnd())
            cursor.fail(cursor.position(), fmt::format("{} bytes left after the last of {} "
                                                       "entries",
                                                       cursor.remaining(), n));
        T* dst = growValues<T>(out, total);
        const std::int64_t* lengths = column_offsets.data() + column_offsets.size() - n - 1;
        for (std::size_t i = 0; i < n; ++i) {
            const auto count = static_cast<std::size_t>(lengths[i + 1] - lengths[i]);
            loadBigEndianArray<T>(std::span<const std::byte>(starts[i], count * sizeof(T)),
                                  std::span<T>(dst, count));
            dst += count;
        }
    }

private:
    std::string description_;
};

// Numbers in shapes the basic decoders do not cover: split-collection items that are fixed
// arrays (entry -> items -> dims) and pointer arrays `T* x //[n]` (a presence byte, then the
// values). The decode is one bulk conversion per entry or per basket.
class NumberBlockInterpretation final : public Interpretation {
public:
    enum class Shape { ItemsOfArrays, PointerArray };

    NumberBlockInterpretation(Shape shape, NumberCodec codec, std::vector<std::int64_t> dims,
                              std::string description)
        : shape_(shape),
          codec_(std::move(codec)),
          dims_(std::move(dims)),
          description_(std::move(description)) {
        per_item_ = 1;
        for (auto dim : dims_) per_item_ *= static_cast<std::size_t>(dim);
    }

    InterpretationKind kind() const override { return InterpretationKind::Jagged; }
    std::string describe() const override { return description_; }
    Column makeColumn() const override { return Column(codec_.dtype, 1 + dims_.size()); }

    void decode(const BasketData& basket, Column& out) const override {
        const auto n = static_cast<std::size_t>(basket.num_entries);
        if (basket.entry_offsets.empty())
            throw UnsupportedError(
                fmt::format("{}: variable-size basket without entry offsets", description_));
        checkOffsets(basket);
        const auto& offsets = basket.entry_offsets;
        const std::size_t value_size = codec_.diskSize();
        const std::size_t item_bytes = value_size * per_item_;
        auto& entry_offsets = out.offsets(0);
        const std::size_t first_item = static_cast<std::size_t>(entry_offsets.back());
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t begin = static_cast<std::size_t>(offsets[i]);
            const std::size_t end = static_cast<std::size_t>(offsets[i + 1]);
            if (shape_ == Shape::PointerArray) {
                // The presence byte: 0 for a null pointer (then no values), 1 otherwise.
                if (begin == end)
                    basket.reader().failAt(begin, fmt::format("entry {} lacks the pointer-array "
                                                              "presence byte",
                                                              i));
                const auto present = std::to_integer<int>(basket.data[begin]);
                if (present > 1 || (present == 0 && end != begin + 1))
                    basket.reader().failAt(begin, fmt::format("entry {}: pointer-array presence "
                                                              "byte {} before {} bytes",
                                                              i, present, end - begin - 1));
                ++begin;
            }
            if ((end - begin) % item_bytes != 0)
                basket.reader().failAt(begin, fmt::format("entry {} spans {} bytes, not a "
                                                          "multiple of the {}-byte item",
                                                          i, end - begin, item_bytes));
            const std::size_t items = (end - begin) / item_bytes;
            entry_offsets.push_back(entry_offsets.back() + static_cast<std::int64_t>(items));
            if (shape_ == Shape::PointerArray)
                appendNumbers(codec_, basket.data.data() + begin, items * per_item_, out);
        }
        if (shape_ == Shape::ItemsOfArrays && n > 0) {
            // Entries are contiguous in the data: one conversion for the whole basket.
            const auto begin = static_cast<std::size_t>(offsets[0]);
            const std::size_t total = (static_cast<std::size_t>(offsets[n]) - begin) / value_size;
            appendNumbers(codec_, basket.data.data() + begin, total, out);
        }
        // Inner levels have constant lengths.
        std::size_t parents = static_cast<std::size_t>(entry_offsets.back()) - first_item;
        for (std::size_t level = 0; level < dims_.size(); ++level) {
            auto& level_offsets = out.offsets(level + 1);
            std::int64_t last = level_offsets.back();
            for (std::size_t p = 0; p < parents; ++p) level_offsets.push_back(last += dims_[level]);
            parents *= static_cast<std::size_t>(dims_[level]);
        }
    }

private:
    Shape shape_;
    NumberCodec codec_;
    std::vector<std::int64_t> dims_;
    std::size_t per_item_ = 1;
    std::string description_;
};

}  // namespace

std::unique_ptr<Interpretation> planInterpretation(std::unique_ptr<Node> root,
                                                   std::vector<SinkSpec> sinks, bool items,
                                                   std::string description) {
    if (!items && root->kind == NodeKind::Sequence && root->header &&
        root->children[0]->kind == NodeKind::Number && root->children[0]->codec.plain()) {
        return visitNumericDType(
            root->children[0]->codec.dtype, [&](auto tag) -> std::unique_ptr<Interpretation> {
                using T = typename decltype(tag)::type;
                return std::make_unique<NumberVectorInterpretation<T>>(std::move(description));
            });
    }
    return std::make_unique<PlanInterpretation>(std::move(root), std::move(sinks), items,
                                                std::move(description));
}

std::unique_ptr<Interpretation> itemArraysInterpretation(const NumberCodec& codec,
                                                         std::vector<std::int64_t> dims,
                                                         std::string description) {
    return std::make_unique<NumberBlockInterpretation>(
        NumberBlockInterpretation::Shape::ItemsOfArrays, codec, std::move(dims),
        std::move(description));
}

std::unique_ptr<Interpretation> pointerArrayInterpretation(const NumberCodec& codec,
                                                           std::string description) {
    return std::make_unique<NumberBlockInterpretation>(
        NumberBlockInterpretation::Shape::PointerArray, codec, std::vector<std::int64_t>{},
        std::move(description));
}

}  // namespace hepflow::root::detail
