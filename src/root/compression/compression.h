// ROOT's compression framing (ROOT-FORMAT.md section 5): payloads are a sequence of blocks, each
// a 9-byte header ("ZL"/"XZ"/"L4"/"ZS" + method + two little-endian 24-bit sizes) and one zlib,
// xz, LZ4 (with XXH64) or zstd body. Decoding is strict and bounds-checked, so corrupt files
// throw instead of crashing; encoding reproduces what ROOT writes so ROOT can read our files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace hepflow::root {

enum class CompressionAlgorithm { None, Zlib, Lzma, Lz4, Zstd, OldRoot };

// ROOT's block header size: 2 magic bytes, method byte, compressed size, uncompressed size.
inline constexpr std::size_t kCompressionBlockHeaderSize = 9;
// kMAXZIPBUF of TBasket.cxx: the 24-bit size fields cap each block's input at 0xFFFFFF bytes.
inline constexpr std::size_t kMaxCompressionBlockInput = 0xFFFFFF;
// LZMA blocks written by hepflow hold at most this many input bytes, so that each compresses
// into one LZMA2 chunk (64 KiB), the only form JSROOT decodes.
inline constexpr std::size_t kMaxLzmaBlockInput = 64000;
// An "L4" block carries the big-endian XXH64 (seed 0) of its LZ4 data before that data.
inline constexpr std::size_t kLz4ChecksumSize = 8;

// The fCompress value of files and branches: algorithm * 100 + level (section 5.4).
// Level 0 means "stored uncompressed" whatever the algorithm (uncompressed files carry 100).
struct CompressionSetting {
    CompressionAlgorithm algorithm = CompressionAlgorithm::None;
    int level = 0;

    // Decodes fCompress: 0 -> None; a bare 1..9 (algorithm 0, old files and ROOT's "global
    // default") -> ZLIB at that level; 101 -> ZLIB 1, 207 -> LZMA 7, 404 -> LZ4 4, 505 -> ZSTD 5.
    // Throws UnsupportedError for negative values and unknown algorithms (>= 600); callers add
    // the file/branch context.
    static CompressionSetting fromRoot(int f_compress);
    // Encodes as ROOT writes it (None -> 0, otherwise algorithm * 100 + level).
    int toRoot() const;

    bool operator==(const CompressionSetting&) const = default;
};

// "none", "ZLIB", "LZMA", "LZ4", "ZSTD", "CS" (ROOT's names, as uproot prints them).
std::string_view algorithmName(CompressionAlgorithm algorithm);

// Algorithm of the first block of a *compressed* payload, from its magic (for "compression per
// branch" reports). Returns None when the payload is shorter than 2 bytes or the magic is not
// one of ROOT's; whether a payload is compressed at all is decided by fObjlen != fNbytes -
// fKeylen, never by this function. Thread-safe.
CompressionAlgorithm detectBlockAlgorithm(std::span<const std::byte> payload);

// The sum of the uncompressed sizes that the block headers of a compressed payload declare,
// read without inflating anything, so that a corrupt fObjlen is caught before fObjlen bytes are
// allocated. Stops once the sum passes `limit` or at a block whose compressed size runs past
// the payload (decompressPayload reports that one). Throws FormatError at base_offset + the
// position of a block header that the payload cuts off. Thread-safe.
std::uint64_t declaredUncompressedSize(std::span<const std::byte> payload, std::uint64_t limit,
                                       std::uint64_t base_offset);

// Inflates one key's payload (`in` = the fNbytes - fKeylen bytes after the key header) into
// `out`, whose size must be fObjlen. If in.size() == out.size() the payload is stored raw
// (section 2) and is copied. Otherwise every block is checked: header complete, known magic
// and method byte, compressed size inside `in`, uncompressed sizes summing exactly to
// out.size(), LZ4 checksum, and each decoder consuming exactly its block and producing exactly
// the declared bytes. Throws FormatError (corrupt data) or UnsupportedError ("CS" or an unknown
// magic), with offset = base_offset + position of the offending block header (base_offset is
// the absolute file offset of in[0]). Never reads or writes outside the spans. Thread-safe:
// decoder state is per thread and reused across calls.
void decompressPayload(std::span<const std::byte> in, std::span<std::byte> out,
                       std::uint64_t base_offset);
// Like decompressPayload, but fills only out[0, needed): blocks after it are not decoded, and an
// LZ4, LZMA or ZSTD block holding its end is decoded only up to there (a ZLIB one is decoded
// whole: libdeflate decodes whole streams only). For readers of a basket's data part that do not
// need the entry-offset array after it, which in a counted array of a few values per entry is most
// of the payload. The blocks' headers are checked as far as they are decoded; `out` past `needed`
// is unspecified.
void decompressPayloadPrefix(std::span<const std::byte> in, std::span<std::byte> out,
                             std::uint64_t base_offset, std::size_t needed);

// Compresses a payload the way ROOT does: blocks of at most kMaxCompressionBlockInput input
// bytes, each with its own header, ROOT's per-algorithm level mapping (ZLIB/LZMA levels capped at
// 9, LZ4 HC from level 4, ZSTD level 2 * level) and LZMA's dictionary capped at a quarter of the
// block. If the setting is None/level 0, or the result would not be smaller than the input, the
// input is returned unchanged (stored raw): callers detect that by size equality, which is what
// readers test (fObjlen == fNbytes - fKeylen). Throws UnsupportedError for OldRoot and
// UsageError for a level outside 0..99. Thread-safe: encoder state is per thread.
std::vector<std::byte> compressPayload(std::span<const std::byte> in, CompressionSetting setting);

// The same into a buffer the caller owns (and reuses: writers compress thousands of baskets, and
// fresh output buffers cost page faults): writes the blocks to `out` and returns their size, or
// 0 when the payload is to be stored raw (None/level 0, empty input, or no gain). Output never
// passes out.size() - 1 bytes nor in.size() - 1; an `out` of in.size() bytes always suffices.
// Same errors and thread safety as compressPayload.
std::size_t compressPayloadInto(std::span<const std::byte> in, CompressionSetting setting,
                                std::span<std::byte> out);

}  // namespace hepflow::root
