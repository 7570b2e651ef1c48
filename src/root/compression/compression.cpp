// ROOT block framing around the per-algorithm codecs: header parsing with every size checked
// against both buffers before any byte is touched, the fCompress setting, and ROOT's rule that
// a payload which does not shrink is stored raw.
#include "root/compression/compression.h"

#include <algorithm>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "common/error.h"
#include "root/compression/block_codecs.h"

namespace hepflow::root {
namespace {

// Highest algorithm code of fCompress (ZSTD = 5, section 5.4).
constexpr int kMaxRootAlgorithm = 5;
constexpr int kRootAlgorithmFactor = 100;
constexpr int kMaxRootLevel = 99;

// The method byte ROOT writes after each magic (ROOT-FORMAT.md 5.1): Z_DEFLATED for ZL, 0 for
// XZ, the LZ4 / zstd major version for L4 / ZS. R__unzip rejects other values too.
constexpr std::uint8_t kZlibMethod = 8;
constexpr std::uint8_t kLzmaMethod = 0;
constexpr std::uint8_t kLz4Method = 1;
constexpr std::uint8_t kZstdMethod = 1;
// Where the two little-endian 24-bit sizes sit in a block header.
constexpr std::size_t kCompressedSizeAt = 3;
constexpr std::size_t kUncompressedSizeAt = 6;

struct AlgorithmFraming {
    CompressionAlgorithm algorithm;
    char magic[2];
    std::uint8_t method;
};

constexpr AlgorithmFraming kFramings[] = {
    {CompressionAlgorithm::Zlib, {'Z', 'L'}, kZlibMethod},
    {CompressionAlgorithm::Lzma, {'X', 'Z'}, kLzmaMethod},
    {CompressionAlgorithm::Lz4, {'L', '4'}, kLz4Method},
    {CompressionAlgorithm::Zstd, {'Z', 'S'}, kZstdMethod},
    {CompressionAlgorithm::OldRoot, {'C', 'S'}, kZlibMethod},
};

const AlgorithmFraming* findFraming(std::byte b0, std::byte b1) {
    for (const auto& f : kFramings) {
        if (static_cast<char>(b0) == f.magic[0] && static_cast<char>(b1) == f.magic[1]) return &f;
    }
    return nullptr;
}

const AlgorithmFraming& framingOf(CompressionAlgorithm algorithm) {
    for (const auto& f : kFramings) {
        if (f.algorithm == algorithm) return f;
    }
    throw InternalError("no block framing for compression algorithm");
}

// "'ZL'" when printable, else the two bytes in hex, so corrupt magics are readable in messages.
std::string describeMagic(std::byte b0, std::byte b1) {
    const auto c0 = std::to_integer<unsigned>(b0);
    const auto c1 = std::to_integer<unsigned>(b1);
    const auto printable = [](unsigned c) { return c >= 0x20 && c < 0x7F; };
    if (printable(c0) && printable(c1)) {
        return fmt::format("'{}{}'", static_cast<char>(c0), static_cast<char>(c1));
    }
    return fmt::format("0x{:02x}{:02x}", c0, c1);
}

std::uint32_t readLittleEndian24(const std::byte* p) {
    return std::to_integer<std::uint32_t>(p[0]) | (std::to_integer<std::uint32_t>(p[1]) << 8) |
           (std::to_integer<std::uint32_t>(p[2]) << 16);
}

void writeLittleEndian24(std::byte* p, std::size_t value) {
    p[0] = static_cast<std::byte>(value & 0xFF);
    p[1] = static_cast<std::byte>((value >> 8) & 0xFF);
    p[2] = static_cast<std::byte>((value >> 16) & 0xFF);
}

void decompressBlockBody(CompressionAlgorithm algorithm, std::span<const std::byte> body,
                         std::span<std::byte> out) {
    switch (algorithm) {
        case CompressionAlgorithm::Zlib: return detail::decompressZlibBlock(body, out);
        case CompressionAlgorithm::Lzma: return detail::decompressLzmaBlock(body, out);
        case CompressionAlgorithm::Lz4: return detail::decompressLz4Block(body, out);
        case CompressionAlgorithm::Zstd: return detail::decompressZstdBlock(body, out);
        case CompressionAlgorithm::None:
        case CompressionAlgorithm::OldRoot: break;
    }
    throw InternalError("decompressBlockBody called for an algorithm without a decoder");
}

// Decodes at least out[0, needed) of one block: LZ4, LZMA and ZSTD stop there; ZLIB (libdeflate
// decodes whole streams only) decodes it all.
void decompressBlockPrefix(CompressionAlgorithm algorithm, std::span<const std::byte> body,
                           std::span<std::byte> out, std::size_t needed) {
    switch (algorithm) {
        case CompressionAlgorithm::Lz4: return detail::decompressLz4BlockPrefix(body, out, needed);
        case CompressionAlgorithm::Lzma:
            return detail::decompressLzmaBlockPrefix(body, out, needed);
        case CompressionAlgorithm::Zstd:
            return detail::decompressZstdBlockPrefix(body, out, needed);
        default: return decompressBlockBody(algorithm, body, out);
    }
}

std::size_t compressBlockBody(CompressionAlgorithm algorithm, std::span<const std::byte> in,
                              std::span<std::byte> out, int level) {
    switch (algorithm) {
        case CompressionAlgorithm::Zlib: return detail::compressZlibBlock(in, out, level);
        case CompressionAlgorithm::Lzma: return detail::compressLzmaBlock(in, out, level);
        case CompressionAlgorithm::Lz4: return detail::compressLz4Block(in, out, level);
        case CompressionAlgorithm::Zstd: return detail::compressZstdBlock(in, out, level);
        case CompressionAlgorithm::None:
        case CompressionAlgorithm::OldRoot: break;
    }
    throw InternalError("compressBlockBody called for an algorithm without an encoder");
}

}  // namespace

CompressionSetting CompressionSetting::fromRoot(int f_compress) {
    const int algorithm = f_compress / kRootAlgorithmFactor;
    const int level = f_compress % kRootAlgorithmFactor;
    if (f_compress < 0 || algorithm > kMaxRootAlgorithm) {
        throw UnsupportedError(fmt::format(
            "compression setting {} (fCompress): unknown algorithm {}", f_compress, algorithm));
    }
    switch (algorithm) {
        case 0:
            // ROOT's "use the global default", which is ZLIB; old files store a bare level.
            if (level == 0) return {CompressionAlgorithm::None, 0};
            return {CompressionAlgorithm::Zlib, level};
        case 1: return {CompressionAlgorithm::Zlib, level};
        case 2: return {CompressionAlgorithm::Lzma, level};
        case 3: return {CompressionAlgorithm::OldRoot, level};
        case 4: return {CompressionAlgorithm::Lz4, level};
        default: return {CompressionAlgorithm::Zstd, level};
    }
}

int CompressionSetting::toRoot() const {
    const auto code = [this](int algorithm_code) {
        return algorithm_code * kRootAlgorithmFactor + level;
    };
    switch (algorithm) {
        case CompressionAlgorithm::None: return 0;
        case CompressionAlgorithm::Zlib: return code(1);
        case CompressionAlgorithm::Lzma: return code(2);
        case CompressionAlgorithm::OldRoot: return code(3);
        case CompressionAlgorithm::Lz4: return code(4);
        case CompressionAlgorithm::Zstd: return code(5);
    }
    throw InternalError("invalid CompressionAlgorithm value");
}

std::string_view algorithmName(CompressionAlgorithm algorithm) {
    switch (algorithm) {
        case CompressionAlgorithm::None: return "none";
        case CompressionAlgorithm::Zlib: return "ZLIB";
        case CompressionAlgorithm::Lzma: return "LZMA";
        case CompressionAlgorithm::Lz4: return "LZ4";
        case CompressionAlgorithm::Zstd: return "ZSTD";
        case CompressionAlgorithm::OldRoot: return "CS";
    }
    return "invalid";
}

CompressionAlgorithm detectBlockAlgorithm(std::span<const std::byte> payload) {
    if (payload.size() < 2) return CompressionAlgorithm::None;
    const AlgorithmFraming* framing = findFraming(payload[0], payload[1]);
    return framing ? framing->algorithm : CompressionAlgorithm::None;
}

std::uint64_t declaredUncompressedSize(std::span<const std::byte> payload, std::uint64_t limit,
                                       std::uint64_t base_offset) {
    std::uint64_t total = 0;
    std::size_t position = 0;
    while (position < payload.size() && total <= limit) {
        const std::size_t left = payload.size() - position;
        if (left < kCompressionBlockHeaderSize)
            throwAt<FormatError>(fmt::format("compressed payload ends inside a block header ({} "
                                             "of {} bytes)",
                                             left, kCompressionBlockHeaderSize),
                                 {}, {}, base_offset + position);
        const std::byte* header = payload.data() + position;
        const std::size_t compressed = readLittleEndian24(header + kCompressedSizeAt);
        total += readLittleEndian24(header + kUncompressedSizeAt);
        position += kCompressionBlockHeaderSize;
        if (compressed > payload.size() - position) break;  // decompressPayload reports it
        position += compressed;
    }
    return total;
}

void decompressPayload(std::span<const std::byte> in, std::span<std::byte> out,
                       std::uint64_t base_offset) {
    decompressPayloadPrefix(in, out, base_offset, out.size());
}

void decompressPayloadPrefix(std::span<const std::byte> in, std::span<std::byte> out,
                             std::uint64_t base_offset, std::size_t needed) {
    const bool whole = needed >= out.size();
    if (in.size() == out.size()) {
        // fObjlen == fNbytes - fKeylen: stored raw (section 2), whatever the bytes look like.
        if (!in.empty()) std::memcpy(out.data(), in.data(), whole ? in.size() : needed);
        return;
    }
    std::size_t pos = 0;
    std::size_t filled = 0;
    while (pos < in.size() && (whole || filled < needed)) {
        const std::uint64_t block_offset = base_offset + pos;
        const std::size_t left = in.size() - pos;
        if (left < kCompressionBlockHeaderSize) {
            throwAt<FormatError>(
                fmt::format("truncated compression block header: {} bytes left in the payload, "
                            "a header needs {}",
                            left, kCompressionBlockHeaderSize),
                {}, {}, block_offset);
        }
        const std::byte* header = in.data() + pos;
        const AlgorithmFraming* framing = findFraming(header[0], header[1]);
        if (framing == nullptr) {
            throwAt<UnsupportedError>(
                fmt::format("unknown compression algorithm {} in block header",
                            describeMagic(header[0], header[1])),
                {}, {}, block_offset);
        }
        if (framing->algorithm == CompressionAlgorithm::OldRoot) {
            throwAt<UnsupportedError>(
                "compression algorithm 'CS' (ROOT's pre-zlib deflate variant, unused since the "
                "1990s) is not supported",
                {}, {}, block_offset);
        }
        const auto method = std::to_integer<std::uint8_t>(header[2]);
        if (method != framing->method) {
            throwAt<FormatError>(
                fmt::format("{} compression block has method byte {}, expected {}",
                            algorithmName(framing->algorithm), method, framing->method),
                {}, {}, block_offset);
        }
        const std::size_t compressed = readLittleEndian24(header + kCompressedSizeAt);
        const std::size_t uncompressed = readLittleEndian24(header + kUncompressedSizeAt);
        if (compressed > left - kCompressionBlockHeaderSize) {
            throwAt<FormatError>(
                fmt::format("compression block declares {} compressed bytes but only {} remain "
                            "in the payload",
                            compressed, left - kCompressionBlockHeaderSize),
                {}, {}, block_offset);
        }
        if (uncompressed == 0) {
            throwAt<FormatError>("compression block declares 0 uncompressed bytes", {}, {},
                                 block_offset);
        }
        if (uncompressed > out.size() - filled) {
            throwAt<FormatError>(
                fmt::format("compression block declares {} uncompressed bytes but only {} of "
                            "fObjlen {} are left to fill",
                            uncompressed, out.size() - filled, out.size()),
                {}, {}, block_offset);
        }
        try {
            const auto body = in.subspan(pos + kCompressionBlockHeaderSize, compressed);
            const auto block_out = out.subspan(filled, uncompressed);
            if (!whole && needed - filled < uncompressed)
                decompressBlockPrefix(framing->algorithm, body, block_out, needed - filled);
            else
                decompressBlockBody(framing->algorithm, body, block_out);
        } catch (Error& e) {
            e.setOffset(block_offset);
            throw;
        }
        pos += kCompressionBlockHeaderSize + compressed;
        filled += uncompressed;
    }
    if (whole ? filled != out.size() : filled < needed) {
        throwAt<FormatError>(fmt::format("compression blocks inflate to {} bytes but fObjlen is {}",
                                         filled, out.size()),
                             {}, {}, base_offset);
    }
}

std::size_t compressPayloadInto(std::span<const std::byte> in, CompressionSetting setting,
                                std::span<std::byte> out) {
    if (setting.level < 0 || setting.level > kMaxRootLevel) {
        throw UsageError(
            fmt::format("compression level {} is outside 0..{}", setting.level, kMaxRootLevel));
    }
    if (setting.algorithm == CompressionAlgorithm::OldRoot) {
        throw UnsupportedError("writing ROOT's old 'CS' compression algorithm is not supported");
    }
    if (setting.algorithm == CompressionAlgorithm::None || setting.level == 0 || in.empty()) {
        return 0;
    }
    const AlgorithmFraming& framing = framingOf(setting.algorithm);

    // Budget: the output must end up strictly smaller than the input, so no block may push it
    // to in.size() bytes; a block that does not fit means "store raw" (uproot's rule; ROOT's
    // per-block rule is stricter, and readers accept either).
    // JSROOT decodes each LZMA block as a single LZMA2 chunk (at most 64 KiB compressed);
    // ROOT's own 32000-byte baskets always fit one, so hepflow's larger baskets are cut into
    // blocks of kMaxLzmaBlockInput bytes, which readers (ROOT, uproot, JSROOT) all accept.
    const std::size_t block_limit = setting.algorithm == CompressionAlgorithm::Lzma
                                        ? kMaxLzmaBlockInput
                                        : kMaxCompressionBlockInput;
    const std::size_t limit = std::min(in.size(), out.size());
    std::size_t written = 0;
    for (std::size_t pos = 0; pos < in.size(); pos += block_limit) {
        const auto block = in.subspan(pos, std::min(block_limit, in.size() - pos));
        if (limit < 1 + written) return 0;
        const std::size_t budget = limit - 1 - written;
        if (budget <= kCompressionBlockHeaderSize) return 0;
        // The compressed-size field is 24 bits wide as well.
        const std::size_t body_capacity =
            std::min(budget - kCompressionBlockHeaderSize, kMaxCompressionBlockInput);
        std::byte* header = out.data() + written;
        const std::size_t body_size = compressBlockBody(
            setting.algorithm, block,
            std::span(header + kCompressionBlockHeaderSize, body_capacity), setting.level);
        if (body_size == 0) return 0;
        header[0] = static_cast<std::byte>(framing.magic[0]);
        header[1] = static_cast<std::byte>(framing.magic[1]);
        header[2] = static_cast<std::byte>(framing.method);
        writeLittleEndian24(header + kCompressedSizeAt, body_size);
        writeLittleEndian24(header + kUncompressedSizeAt, block.size());
        written += kCompressionBlockHeaderSize + body_size;
    }
    return written;
}

std::vector<std::byte> compressPayload(std::span<const std::byte> in, CompressionSetting setting) {
    std::vector<std::byte> out(in.size());
    const std::size_t size = compressPayloadInto(in, setting, out);
    if (size == 0) return std::vector<std::byte>(in.begin(), in.end());
    out.resize(size);
    return out;
}

}  // namespace hepflow::root
