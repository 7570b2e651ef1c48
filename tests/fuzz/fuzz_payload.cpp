// libFuzzer target: the compressed-payload decoder on its own (block headers, every
// algorithm, LZ4 checksums). The first 4 input bytes give the claimed uncompressed size,
// as fObjlen does for a real key. Errors are expected outcomes; crashes are bugs.
#include <cstring>
#include <vector>

#include "common/error.h"
#include "root/compression/compression.h"

namespace {
// Larger claimed sizes are clamped: the decoder must reject them, not allocate them.
constexpr std::uint32_t kMaxClaimedSize = 1u << 24;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    std::uint32_t claimed = 0;
    std::memcpy(&claimed, data, 4);
    claimed %= kMaxClaimedSize;
    std::vector<std::byte> out(claimed);
    try {
        hepflow::root::decompressPayload({reinterpret_cast<const std::byte*>(data) + 4, size - 4},
                                         out, 0);
    } catch (const hepflow::Error&) {
    }
    return 0;
}
