// Walking a decode plan over the bytes of a basket: a bounds-checked cursor over one entry, and
// the decoder of each node kind (strings, STL sequences and member-wise maps, fixed arrays,
// objects, TObject / TRef / TRefArray), appending to the plan's sink columns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "common/error.h"
#include "frame/columns/column.h"
#include "root/endian.h"
#include "root/tree/detail/decode_plan.h"
#include "root/tree/interpretation.h"

namespace hepflow::root::detail {

// A bounds-checked cursor over one entry of a basket. Overruns throw FormatError with the
// basket's file, object and offset; nothing is appended from bytes past the entry.
class Cursor {
public:
    explicit Cursor(const BasketData& basket) : basket_(basket), data_(basket.data.data()) {}

    void setRange(std::size_t begin, std::size_t end) {
        pos_ = begin;
        end_ = end;
    }
    std::size_t position() const { return pos_; }
    std::size_t remaining() const { return end_ - pos_; }
    bool atEnd() const { return pos_ == end_; }

    void need(std::size_t count) const {
        if (count > end_ - pos_)
            fail(pos_, fmt::format("needs {} bytes but the entry has {} left", count, end_ - pos_));
    }
    template <BigEndianValue T>
    T read() {
        need(sizeof(T));
        const T value = loadBigEndian<T>(data_ + pos_);
        pos_ += sizeof(T);
        return value;
    }
    const std::byte* take(std::size_t count) {
        need(count);
        const std::byte* p = data_ + pos_;
        pos_ += count;
        return p;
    }
    // TString encoding; the view points into the basket.
    std::string_view readString();
    // A count+version header (the count is optional, ROOT-FORMAT.md 4.1). Returns the end of
    // the counted bytes, or 0 when there is no count.
    std::size_t readHeader(std::int16_t& version);
    // Checks that a value read from `start` ended where its byte count said (`end`, 0: none).
    void expectEnd(std::size_t end, std::size_t start, std::string_view what) const;
    // A count of items that each take at least `min_bytes`: rejects counts the entry cannot
    // hold before anything is allocated.
    std::size_t readCount(std::size_t min_bytes, std::string_view what);

    // FormatError (corrupt bytes) or UnsupportedError at `position` of the basket data.
    [[noreturn]] void fail(std::size_t position, std::string_view message) const {
        basket_.reader().failAt(position, message);
    }
    [[noreturn]] void unsupported(std::size_t position, std::string_view message) const {
        basket_.reader().failAt<UnsupportedError>(position, message);
    }

private:
    const BasketData& basket_;
    const std::byte* data_;
    std::size_t pos_ = 0;
    std::size_t end_ = 0;
};

// Ends offsets level `level` of `column`: the next level's (or the values') current count.
void endList(frame::Column& column, std::size_t level);

// Walks a plan over the bytes of one basket, appending to the sink columns (indexed like the
// plan's SinkSpecs). Throws FormatError on corrupt bytes, UnsupportedError for layouts the plan
// cannot know in advance (member-wise vectors, object-wise maps, other class versions, TUUIDs).
class PlanDecoder {
public:
    PlanDecoder(Cursor& cursor, std::span<frame::Column* const> sinks)
        : cursor_(cursor), sinks_(sinks) {}

    // One value of `node` at the cursor.
    void decode(const Node& node);

private:
    void endLists(const Node& node);
    void decodeItems(const Node& item, std::size_t n);
    void decodeString(const Node& node);
    void decodeSequence(const Node& node);
    void decodeMap(const Node& node);
    void decodeBlock(const Node& item, std::size_t n, bool header);
    void decodeObject(const Node& node);
    std::uint32_t decodeTObject(const Node& node);
    void decodeTRef(const Node& node);
    void decodeRefArray(const Node& node);

    Cursor& cursor_;
    std::span<frame::Column* const> sinks_;
};

}  // namespace hepflow::root::detail
