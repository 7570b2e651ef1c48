// Internal to compression.cpp: one function pair per algorithm that (de)compresses the body of a
// single ROOT block, keeping the library contexts in thread_local storage so many threads can
// decode baskets at once without re-allocating dictionaries and tables on every call.
#pragma once

#include <cstddef>
#include <span>

namespace hepflow::root::detail {

// Each decompressor fills `out` completely from exactly `in` (the block body after the 9-byte
// header) or throws FormatError without offset; the caller adds the block's offset.
void decompressZlibBlock(std::span<const std::byte> in, std::span<std::byte> out);
void decompressLzmaBlock(std::span<const std::byte> in, std::span<std::byte> out);
// `in` starts with the 8-byte big-endian XXH64 of the LZ4 data that follows it.
void decompressLz4Block(std::span<const std::byte> in, std::span<std::byte> out);
void decompressZstdBlock(std::span<const std::byte> in, std::span<std::byte> out);
// Decode only until out[0, needed) is filled (these decoders can stop mid-block; LZ4 still checks
// its checksum, which covers the compressed bytes); what follows in `out` is unspecified.
void decompressLz4BlockPrefix(std::span<const std::byte> in, std::span<std::byte> out,
                              std::size_t needed);
void decompressLzmaBlockPrefix(std::span<const std::byte> in, std::span<std::byte> out,
                               std::size_t needed);
void decompressZstdBlockPrefix(std::span<const std::byte> in, std::span<std::byte> out,
                               std::size_t needed);

// Each compressor writes the block body into `out` and returns its size, or 0 when it does not
// fit in out.size() bytes (the caller then stores the payload raw). `level` is ROOT's 1..99.
std::size_t compressZlibBlock(std::span<const std::byte> in, std::span<std::byte> out, int level);
std::size_t compressLzmaBlock(std::span<const std::byte> in, std::span<std::byte> out, int level);
// Writes the 8-byte checksum and then the LZ4 data, as decompressLz4Block expects.
std::size_t compressLz4Block(std::span<const std::byte> in, std::span<std::byte> out, int level);
std::size_t compressZstdBlock(std::span<const std::byte> in, std::span<std::byte> out, int level);

}  // namespace hepflow::root::detail
