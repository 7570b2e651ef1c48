// The user-facing spelling of a compression setting, shared by every command and config that
// writes ROOT files: "zstd:5", "lz4", "none", or ROOT's fCompress number ("505").
#pragma once

#include <string_view>

#include "root/compression/compression.h"

namespace hepflow::root {

// Parses ALGORITHM[:LEVEL] (zstd, lz4, lzma, zlib; level 1-9; case-insensitive), "none", or a
// ROOT setting (algorithm * 100 + level). Without a level, ROOT's own presets: ZLIB 1, LZMA 7,
// LZ4 4, ZSTD 5 (RCompressionSetting::EDefaults). Throws UsageError "<what> '<text>': ...".
CompressionSetting parseCompressionSpec(std::string_view text,
                                        std::string_view what = "compression");

}  // namespace hepflow::root
