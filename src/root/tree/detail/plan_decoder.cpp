// The plan walker: how ROOT streams each node kind (count+version headers, member-wise map
// blocks, TObject's old byte-count form, TRef pids, TRefArray uids), with every count checked
// against the bytes left in the entry before anything is allocated.
#include "root/tree/detail/plan_decoder.h"

namespace hepflow::root::detail {

using frame::Column;
using frame::DType;

namespace {

// TRef::Streamer writes a TUUID string instead of the pid when this TObject bit is set.
constexpr std::uint32_t kHasUUID = 1u << 5;

// The fewest bytes one item can take, to bound item counts before allocating.
std::size_t minItemBytes(const Node& item) {
    return item.kind == NodeKind::Number ? item.codec.diskSize() : 1;
}

}  // namespace

std::string_view Cursor::readString() {
    std::size_t length = read<std::uint8_t>();
    if (length == kLongStringMarker) length = read<std::uint32_t>();
    return {reinterpret_cast<const char*>(take(length)), length};
}

std::size_t Cursor::readHeader(std::int16_t& version) {
    const std::size_t start = pos_;
    const auto word = read<std::uint32_t>();
    std::size_t end = 0;
    if (word & kByteCountMask) {
        const std::size_t count = word & ~kByteCountMask;
        if (count < 2 || count > end_ - pos_)
            fail(start, fmt::format("byte count {} runs past the entry ({} bytes left)", count,
                                    end_ - pos_));
        end = pos_ + count;
    } else {
        pos_ = start;
    }
    version = read<std::int16_t>();
    return end;
}

void Cursor::expectEnd(std::size_t end, std::size_t start, std::string_view what) const {
    if (end != 0 && pos_ != end)
        fail(start, fmt::format("{} decoded {} bytes, but its byte count says {}", what,
                                pos_ - start, end - start));
}

std::size_t Cursor::readCount(std::size_t min_bytes, std::string_view what) {
    const std::size_t at = pos_;
    const auto n = read<std::int32_t>();
    if (n < 0 || static_cast<std::size_t>(n) * min_bytes > end_ - pos_)
        fail(at,
             fmt::format("{} of {} items does not fit in the {} bytes left", what, n, end_ - pos_));
    return static_cast<std::size_t>(n);
}

void endList(Column& column, std::size_t level) {
    const std::int64_t count = level + 1 < column.levels()
                                   ? static_cast<std::int64_t>(column.offsets(level + 1).size()) - 1
                                   : static_cast<std::int64_t>(column.numValues());
    column.offsets(level).push_back(count);
}

void PlanDecoder::decode(const Node& node) {
    switch (node.kind) {
        case NodeKind::Number:
            appendNumbers(node.codec, cursor_.take(node.codec.diskSize()), 1, *sinks_[node.sink]);
            return;
        case NodeKind::Bits: {
            const auto bits = cursor_.read<std::uint32_t>();
            sinks_[node.sink]->append(bits);
            if (bits & kIsReferenced) (void)cursor_.read<std::uint16_t>();  // pidf
            return;
        }
        case NodeKind::String: return decodeString(node);
        case NodeKind::Sequence: return decodeSequence(node);
        case NodeKind::FixedArray:
            decodeItems(*node.children[0], static_cast<std::size_t>(node.length));
            return endLists(node);
        case NodeKind::Map: return decodeMap(node);
        case NodeKind::Object: return decodeObject(node);
        case NodeKind::TObject: decodeTObject(node); return;
        case NodeKind::TRef: return decodeTRef(node);
        case NodeKind::TRefArray: return decodeRefArray(node);
    }
}

void PlanDecoder::endLists(const Node& node) {
    for (const auto& end : node.ends) endList(*sinks_[end.sink], end.level);
}

void PlanDecoder::decodeItems(const Node& item, std::size_t n) {
    if (item.kind == NodeKind::Number) {
        appendNumbers(item.codec, cursor_.take(n * item.codec.diskSize()), n, *sinks_[item.sink]);
        return;
    }
    for (std::size_t i = 0; i < n; ++i) decode(item);
}

void PlanDecoder::decodeString(const Node& node) {
    const std::size_t start = cursor_.position();
    std::int16_t version = 0;
    const std::size_t end = node.header ? cursor_.readHeader(version) : 0;
    sinks_[node.sink]->appendString(cursor_.readString());
    cursor_.expectEnd(end, start, node.type_name);
}

void PlanDecoder::decodeSequence(const Node& node) {
    const std::size_t start = cursor_.position();
    std::size_t end = 0;
    if (node.header) {
        std::int16_t version = 0;
        end = cursor_.readHeader(version);
        if (version & kStreamedMemberWise)
            cursor_.unsupported(start, fmt::format("member-wise streamed {}", node.type_name));
    }
    const Node& item = *node.children[0];
    decodeItems(item, cursor_.readCount(minItemBytes(item), node.type_name));
    endLists(node);
    cursor_.expectEnd(end, start, node.type_name);
}

void PlanDecoder::decodeMap(const Node& node) {
    const std::size_t start = cursor_.position();
    std::int16_t version = 0;
    const std::size_t end = cursor_.readHeader(version);
    if (!(version & kStreamedMemberWise))
        cursor_.unsupported(start, fmt::format("object-wise streamed {}", node.type_name));
    // ReadVersionForMemberWise: the pair's class version, then its checksum if that is 0.
    if (cursor_.read<std::int16_t>() <= 0) (void)cursor_.read<std::uint32_t>();
    const Node& key = *node.children[0];
    const Node& value = *node.children[1];
    const std::size_t n =
        cursor_.readCount(minItemBytes(key) + minItemBytes(value), node.type_name);
    decodeBlock(key, n, node.key_header);
    decodeBlock(value, n, node.value_header);
    endLists(node);
    cursor_.expectEnd(end, start, node.type_name);
}

void PlanDecoder::decodeBlock(const Node& item, std::size_t n, bool header) {
    const std::size_t start = cursor_.position();
    std::int16_t version = 0;
    const std::size_t end = header ? cursor_.readHeader(version) : 0;
    decodeItems(item, n);
    cursor_.expectEnd(end, start, item.type_name);
}

void PlanDecoder::decodeObject(const Node& node) {
    const std::size_t start = cursor_.position();
    std::int16_t version = 0;
    const std::size_t end = cursor_.readHeader(version);
    if (version != node.class_version)
        cursor_.unsupported(start, fmt::format("{} version {} (the file's streamer info "
                                               "describes version {})",
                                               node.type_name, version, node.class_version));
    for (const auto& member : node.children) decode(*member);
    cursor_.expectEnd(end, start, node.type_name);
}

std::uint32_t PlanDecoder::decodeTObject(const Node& node) {
    const std::size_t start = cursor_.position();
    std::int16_t version = cursor_.read<std::int16_t>();
    if (version & kByteCountVMask) {
        // Old form: the two bytes were the high half of a byte count; the version follows.
        cursor_.take(2);
        version = cursor_.read<std::int16_t>();
    }
    if (version < 0) cursor_.fail(start, fmt::format("TObject version {}", version));
    const auto unique_id = cursor_.read<std::uint32_t>();
    const auto bits = cursor_.read<std::uint32_t>();
    sinks_[node.parts[kUniqueID]]->append(unique_id);
    sinks_[node.parts[kBits]]->append(bits);
    if (bits & kIsReferenced) (void)cursor_.read<std::uint16_t>();  // pidf
    return bits;
}

void PlanDecoder::decodeTRef(const Node& node) {
    const std::size_t start = cursor_.position();
    const std::uint32_t bits = decodeTObject(node);
    if (bits & kHasUUID) cursor_.unsupported(start, "TRef holding a TUUID");
    sinks_[node.parts[kPid]]->append(cursor_.read<std::uint16_t>());
}

void PlanDecoder::decodeRefArray(const Node& node) {
    const std::size_t start = cursor_.position();
    std::int16_t version = 0;
    const std::size_t end = cursor_.readHeader(version);
    decodeTObject(node);
    sinks_[node.parts[kName]]->appendString(cursor_.readString());
    const auto n = cursor_.read<std::int32_t>();
    sinks_[node.parts[kLast]]->append(static_cast<std::int32_t>(n - 1));
    sinks_[node.parts[kLowerBound]]->append(cursor_.read<std::int32_t>());
    (void)cursor_.read<std::uint16_t>();  // pidf
    if (n < 0 || static_cast<std::size_t>(n) * 4 > cursor_.remaining())
        cursor_.fail(start, fmt::format("TRefArray of {} references does not fit in the {} "
                                        "bytes left",
                                        n, cursor_.remaining()));
    const NumberCodec uid_codec = NumberCodec::of(DType::UInt32);
    appendNumbers(uid_codec, cursor_.take(static_cast<std::size_t>(n) * 4),
                  static_cast<std::size_t>(n), *sinks_[node.parts[kUIDs]]);
    endLists(node);
    cursor_.expectEnd(end, start, "TRefArray");
}

}  // namespace hepflow::root::detail
