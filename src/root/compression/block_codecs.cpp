// Per-algorithm bodies of ROOT compression blocks, over libdeflate, liblzma, liblz4 (+ xxhash)
// and libzstd. The encoders mirror ROOT's core/zip, core/lzma, core/lz4 and core/zstd so that
// files we write compress like ROOT's; the decoders are the stock libraries with exact-size checks.
#include "root/compression/block_codecs.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <new>
#include <string>

#include <libdeflate.h>
#include <lz4.h>
#include <lz4hc.h>
#include <lzma.h>
#include <zstd.h>

// Inlined XXH64 (the library's own header-only mode): one checksum per LZ4 block is on the
// decode hot path, and inlining avoids a PLT call per block.
#define XXH_INLINE_ALL
#include <fmt/format.h>
#include <xxhash.h>

#include "common/error.h"
#include "root/compression/compression.h"

namespace hepflow::root::detail {
namespace {

// ROOT clamps ZLIB, LZMA and LZ4 levels to 9 (R__zipZLIB, R__zipLZMA, R__zipLZ4).
constexpr int kMaxRootLevel = 9;
// R__zipLZ4 switches from LZ4_compress_default to LZ4_compress_HC at this level.
constexpr int kLz4HighCompressionLevel = 4;
// Decoder memory cap for "XZ" blocks. ROOT writes dictionaries of at most 4 MiB (a quarter of a
// 16 MiB block) and uproot's preset 9 uses 64 MiB; a corrupt header asking for more than this
// is rejected (FormatError) rather than honoured with a huge allocation.
constexpr std::uint64_t kLzmaDecoderMemoryLimit = std::uint64_t{256} << 20;

const char* asChars(std::span<const std::byte> bytes) {
    return reinterpret_cast<const char*>(bytes.data());
}
char* asChars(std::span<std::byte> bytes) {
    return reinterpret_cast<char*>(bytes.data());
}
const std::uint8_t* asBytes(std::span<const std::byte> bytes) {
    return reinterpret_cast<const std::uint8_t*>(bytes.data());
}
std::uint8_t* asBytes(std::span<std::byte> bytes) {
    return reinterpret_cast<std::uint8_t*>(bytes.data());
}
// Library APIs taking int sizes; block sizes are at most 24 bits, so clamping never truncates
// a valid block.
int clampToInt(std::size_t n) {
    return static_cast<int>(std::min<std::size_t>(n, INT_MAX));
}

[[noreturn]] void throwFormat(std::string message) {
    throw FormatError(std::move(message));
}

// The libraries return null contexts only when allocation fails.
void throwIfNull(const void* ptr) {
    if (ptr == nullptr) throw std::bad_alloc();
}

// ---- ZLIB (libdeflate) ----

struct DeflateDecompressorDeleter {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};
struct DeflateCompressorDeleter {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

libdeflate_decompressor& threadDeflateDecompressor() {
    thread_local std::unique_ptr<libdeflate_decompressor, DeflateDecompressorDeleter> d{
        libdeflate_alloc_decompressor()};
    throwIfNull(d.get());
    return *d;
}

libdeflate_compressor& threadDeflateCompressor(int level) {
    thread_local std::unique_ptr<libdeflate_compressor, DeflateCompressorDeleter>
        by_level[kMaxRootLevel + 1];
    auto& slot = by_level[level];
    if (!slot) slot.reset(libdeflate_alloc_compressor(level));
    throwIfNull(slot.get());
    return *slot;
}

const char* deflateResultName(libdeflate_result r) {
    switch (r) {
        case LIBDEFLATE_SUCCESS: return "success";
        case LIBDEFLATE_BAD_DATA: return "invalid deflate data";
        case LIBDEFLATE_SHORT_OUTPUT: return "data ends before the declared size";
        case LIBDEFLATE_INSUFFICIENT_SPACE: return "data is longer than the declared size";
    }
    return "unknown libdeflate error";
}

// ---- LZMA (liblzma) ----

// Owns an lzma_stream; re-initialising the same stream lets liblzma reuse its buffers.
struct LzmaStream {
    lzma_stream stream = LZMA_STREAM_INIT;
    LzmaStream() = default;
    LzmaStream(const LzmaStream&) = delete;
    LzmaStream& operator=(const LzmaStream&) = delete;
    ~LzmaStream() { lzma_end(&stream); }
};

const char* lzmaResultName(lzma_ret r) {
    switch (r) {
        case LZMA_OK: return "ok";
        case LZMA_STREAM_END: return "end of stream";
        case LZMA_MEM_ERROR: return "out of memory";
        case LZMA_MEMLIMIT_ERROR: return "decoder memory limit exceeded";
        case LZMA_FORMAT_ERROR: return "not an xz stream";
        case LZMA_OPTIONS_ERROR: return "unsupported xz options";
        case LZMA_DATA_ERROR: return "corrupt xz data";
        case LZMA_BUF_ERROR: return "xz data ends early or is longer than the declared size";
        default: return "liblzma error";
    }
}

}  // namespace

void decompressZlibBlock(std::span<const std::byte> in, std::span<std::byte> out) {
    // A "ZL" body is a whole zlib stream (2-byte header, deflate, Adler-32), checked by
    // libdeflate. Passing no actual_out pointer makes libdeflate demand exactly out.size() bytes.
    std::size_t consumed = 0;
    const libdeflate_result r =
        libdeflate_zlib_decompress_ex(&threadDeflateDecompressor(), in.data(), in.size(),
                                      out.data(), out.size(), &consumed, nullptr);
    if (r != LIBDEFLATE_SUCCESS) {
        throwFormat(fmt::format("ZLIB block does not inflate to its declared {} bytes: {}",
                                out.size(), deflateResultName(r)));
    }
    if (consumed != in.size()) {
        throwFormat(fmt::format("ZLIB stream ends after {} of the block's {} compressed bytes",
                                consumed, in.size()));
    }
}

namespace {

// Runs this thread's xz decoder over `in` into `out` until the stream ends, a call makes no
// progress, or (with LZMA_RUN) `out` is full. Sets `r` to the last result and returns the
// stream, which tells what is left of both.
lzma_stream& inflateLzma(std::span<const std::byte> in, std::span<std::byte> out,
                         lzma_action action, lzma_ret& r) {
    thread_local LzmaStream decoder;
    lzma_stream& s = decoder.stream;
    r = lzma_stream_decoder(&s, kLzmaDecoderMemoryLimit, 0);
    if (r == LZMA_MEM_ERROR) throw std::bad_alloc();
    if (r != LZMA_OK) throwFormat(fmt::format("cannot start xz decoder: {}", lzmaResultName(r)));
    s.next_in = asBytes(in);
    s.avail_in = in.size();
    s.next_out = asBytes(out);
    s.avail_out = out.size();
    // With the whole input available liblzma normally finishes in one call; it returns LZMA_OK
    // only while it still makes progress, so this loop ends.
    while (r == LZMA_OK && (action == LZMA_FINISH || s.avail_out > 0)) {
        const std::size_t in_before = s.avail_in;
        const std::size_t out_before = s.avail_out;
        r = lzma_code(&s, action);
        if (r == LZMA_OK && s.avail_in == in_before && s.avail_out == out_before)
            r = LZMA_BUF_ERROR;
    }
    if (r == LZMA_MEM_ERROR) throw std::bad_alloc();
    return s;
}

ZSTD_DCtx& threadZstdDecoder() {
    thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx{ZSTD_createDCtx(),
                                                                           &ZSTD_freeDCtx};
    throwIfNull(dctx.get());
    return *dctx;
}

}  // namespace

void decompressLzmaBlockPrefix(std::span<const std::byte> in, std::span<std::byte> out,
                               std::size_t needed) {
    lzma_ret r = LZMA_OK;
    const lzma_stream& s = inflateLzma(in, out.first(std::min(needed, out.size())), LZMA_RUN, r);
    if ((r != LZMA_OK && r != LZMA_STREAM_END) || s.avail_out != 0) {
        throwFormat(
            fmt::format("XZ block does not inflate to its first {} of {} declared "
                        "bytes: {}",
                        needed, out.size(), lzmaResultName(r)));
    }
}

void decompressZstdBlockPrefix(std::span<const std::byte> in, std::span<std::byte> out,
                               std::size_t needed) {
    ZSTD_DCtx& dctx = threadZstdDecoder();
    ZSTD_DCtx_reset(&dctx, ZSTD_reset_session_only);
    ZSTD_outBuffer output{out.data(), std::min(needed, out.size()), 0};
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    while (output.pos < output.size) {
        const std::size_t in_before = input.pos;
        const std::size_t out_before = output.pos;
        const std::size_t r = ZSTD_decompressStream(&dctx, &output, &input);
        if (ZSTD_isError(r)) {
            throwFormat(fmt::format("ZSTD block does not decode into its declared {} bytes: {}",
                                    out.size(), ZSTD_getErrorName(r)));
        }
        if (r == 0 || (input.pos == in_before && output.pos == out_before)) break;
    }
    if (output.pos < output.size) {
        throwFormat(fmt::format("ZSTD block decodes to fewer than {} of its declared {} bytes",
                                output.size, out.size()));
    }
}

void decompressLzmaBlock(std::span<const std::byte> in, std::span<std::byte> out) {
    lzma_ret r = LZMA_OK;
    const lzma_stream& s = inflateLzma(in, out, LZMA_FINISH, r);
    if (r != LZMA_STREAM_END) {
        throwFormat(fmt::format("XZ block does not inflate to its declared {} bytes: {}",
                                out.size(), lzmaResultName(r)));
    }
    if (s.avail_out != 0) {
        throwFormat(fmt::format("XZ block inflates to {} bytes, declared {}",
                                out.size() - s.avail_out, out.size()));
    }
    if (s.avail_in != 0) {
        throwFormat(fmt::format("xz stream ends after {} of the block's {} compressed bytes",
                                in.size() - s.avail_in, in.size()));
    }
}

namespace {

// The LZ4 data after a block's checksum, once the checksum matches.
std::span<const std::byte> checkedLz4Data(std::span<const std::byte> in) {
    if (in.size() < kLz4ChecksumSize) {
        throwFormat(fmt::format("LZ4 block has {} compressed bytes, fewer than its 8-byte checksum",
                                in.size()));
    }
    std::uint64_t stored = 0;
    for (std::size_t i = 0; i < kLz4ChecksumSize; ++i) {
        stored = (stored << 8) | std::to_integer<std::uint64_t>(in[i]);
    }
    const auto data = in.subspan(kLz4ChecksumSize);
    const std::uint64_t computed = XXH64(data.data(), data.size(), 0);
    if (stored != computed) {
        throwFormat(
            fmt::format("LZ4 block checksum mismatch: stored XXH64 {:#018x}, computed {:#018x}",
                        stored, computed));
    }
    return data;
}

}  // namespace

void decompressLz4Block(std::span<const std::byte> in, std::span<std::byte> out) {
    const auto data = checkedLz4Data(in);
    const int produced = LZ4_decompress_safe(asChars(data), asChars(out), clampToInt(data.size()),
                                             clampToInt(out.size()));
    if (produced < 0) {
        throwFormat(fmt::format("LZ4 block is corrupt (does not decode into its declared {} bytes)",
                                out.size()));
    }
    if (static_cast<std::size_t>(produced) != out.size()) {
        throwFormat(
            fmt::format("LZ4 block decodes to {} bytes, declared {}", produced, out.size()));
    }
}

void decompressLz4BlockPrefix(std::span<const std::byte> in, std::span<std::byte> out,
                              std::size_t needed) {
    const auto data = checkedLz4Data(in);
    const int produced = LZ4_decompress_safe_partial(
        asChars(data), asChars(out), clampToInt(data.size()),
        clampToInt(std::min(needed, out.size())), clampToInt(out.size()));
    if (produced < 0 || static_cast<std::size_t>(produced) < std::min(needed, out.size())) {
        throwFormat(
            fmt::format("LZ4 block is corrupt (does not decode into its first {} of {} "
                        "declared bytes)",
                        needed, out.size()));
    }
}

void decompressZstdBlock(std::span<const std::byte> in, std::span<std::byte> out) {
    const std::size_t produced =
        ZSTD_decompressDCtx(&threadZstdDecoder(), out.data(), out.size(), in.data(), in.size());
    if (ZSTD_isError(produced)) {
        throwFormat(fmt::format("ZSTD block does not decode into its declared {} bytes: {}",
                                out.size(), ZSTD_getErrorName(produced)));
    }
    if (produced != out.size()) {
        throwFormat(
            fmt::format("ZSTD block decodes to {} bytes, declared {}", produced, out.size()));
    }
}

std::size_t compressZlibBlock(std::span<const std::byte> in, std::span<std::byte> out, int level) {
    return libdeflate_zlib_compress(&threadDeflateCompressor(std::min(level, kMaxRootLevel)),
                                    in.data(), in.size(), out.data(), out.size());
}

std::size_t compressLzmaBlock(std::span<const std::byte> in, std::span<std::byte> out, int level) {
    // As R__zipLZMA: an LZMA2 preset, its dictionary cut to a quarter of the input (large
    // preset dictionaries cost memory and time for nothing on <= 16 MiB blocks), CRC32 check.
    lzma_options_lzma options;
    if (lzma_lzma_preset(&options, static_cast<std::uint32_t>(std::min(level, kMaxRootLevel)))) {
        throw InternalError(fmt::format("liblzma rejected preset {}", level));
    }
    const auto dict_size =
        std::max<std::uint32_t>(LZMA_DICT_SIZE_MIN, static_cast<std::uint32_t>(in.size() / 4));
    options.dict_size = std::min(options.dict_size, dict_size);
    const lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}};

    thread_local LzmaStream encoder;
    lzma_stream& s = encoder.stream;
    lzma_ret r = lzma_stream_encoder(&s, filters, LZMA_CHECK_CRC32);
    if (r == LZMA_MEM_ERROR) throw std::bad_alloc();
    if (r != LZMA_OK) {
        throw InternalError(fmt::format("cannot start xz encoder: {}", lzmaResultName(r)));
    }
    s.next_in = asBytes(in);
    s.avail_in = in.size();
    s.next_out = asBytes(out);
    s.avail_out = out.size();
    do {
        r = lzma_code(&s, LZMA_FINISH);
    } while (r == LZMA_OK && s.avail_out != 0);
    if (r == LZMA_MEM_ERROR) throw std::bad_alloc();
    // LZMA_OK with a full buffer, or LZMA_BUF_ERROR: the stream does not fit.
    if (r != LZMA_STREAM_END) return 0;
    return out.size() - s.avail_out;
}

std::size_t compressLz4Block(std::span<const std::byte> in, std::span<std::byte> out, int level) {
    if (out.size() <= kLz4ChecksumSize) return 0;
    const auto data = out.subspan(kLz4ChecksumSize);
    int written = 0;
    if (level >= kLz4HighCompressionLevel) {
        thread_local std::unique_ptr<std::byte[]> hc_state{
            new std::byte[static_cast<std::size_t>(LZ4_sizeofStateHC())]};
        written = LZ4_compress_HC_extStateHC(hc_state.get(), asChars(in), asChars(data),
                                             clampToInt(in.size()), clampToInt(data.size()),
                                             std::min(level, kMaxRootLevel));
    } else {
        thread_local std::unique_ptr<std::byte[]> state{
            new std::byte[static_cast<std::size_t>(LZ4_sizeofState())]};
        written = LZ4_compress_fast_extState(state.get(), asChars(in), asChars(data),
                                             clampToInt(in.size()), clampToInt(data.size()), 1);
    }
    if (written <= 0) return 0;
    std::uint64_t checksum = XXH64(data.data(), static_cast<std::size_t>(written), 0);
    for (std::size_t i = kLz4ChecksumSize; i-- > 0;) {
        out[i] = static_cast<std::byte>(checksum & 0xFF);
        checksum >>= 8;
    }
    return kLz4ChecksumSize + static_cast<std::size_t>(written);
}

std::size_t compressZstdBlock(std::span<const std::byte> in, std::span<std::byte> out, int level) {
    thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx{ZSTD_createCCtx(),
                                                                           &ZSTD_freeCCtx};
    throwIfNull(cctx.get());
    // R__zipZSTD passes 2 * level to zstd.
    const int zstd_level = std::min(2 * level, ZSTD_maxCLevel());
    const std::size_t written =
        ZSTD_compressCCtx(cctx.get(), out.data(), out.size(), in.data(), in.size(), zstd_level);
    if (ZSTD_isError(written)) return 0;
    return written;
}

}  // namespace hepflow::root::detail
