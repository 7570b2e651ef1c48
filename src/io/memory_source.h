// A byte source over bytes already in memory: fuzz targets, tests that corrupt a file in
// place, and (later) files produced in memory. It never copies the bytes it is given; the
// caller keeps them alive for the source's lifetime (or hands them over with the vector form).
#pragma once

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "io/byte_source.h"

namespace hepflow::io {

class MemorySource final : public ByteSource {
public:
    // Views `bytes` (not owned).
    MemorySource(std::span<const std::byte> bytes, std::string url)
        : bytes_(bytes), url_(std::move(url)) {}
    // Owns `bytes`.
    MemorySource(std::vector<std::byte> bytes, std::string url)
        : owned_(std::move(bytes)), bytes_(owned_), url_(std::move(url)) {}

    const std::string& url() const override { return url_; }
    std::uint64_t size() const override { return bytes_.size(); }

protected:
    void readAt(ReadRange range, std::span<std::byte> out) override {
        if (range.length > 0) std::memcpy(out.data(), bytes_.data() + range.offset, range.length);
    }

private:
    std::vector<std::byte> owned_;
    std::span<const std::byte> bytes_;
    std::string url_;
};

}  // namespace hepflow::io
