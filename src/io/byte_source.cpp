// What every byte source shares: range checks, request timing and accounting, the default
// vectored read (coalesce, read, slice), and openSource's URL dispatch.
#include "io/byte_source.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "common/error.h"
#include "io/local_file_source.h"

namespace hepflow::io {

void ByteSource::checkRange(ReadRange range) const {
    const std::uint64_t file_size = size();
    if (range.length > file_size || range.offset > file_size - range.length) {
        throwAt<IoError>(fmt::format("read past end of file (offset {}, length {}, file size {})",
                                     range.offset, range.length, file_size),
                         url(), {}, range.offset);
    }
}

void ByteSource::readInto(ReadRange range, std::span<std::byte> out) {
    HEPFLOW_ASSERT(out.size() == range.length, "readInto needs a buffer of exactly the range");
    checkRange(range);
    const auto start = std::chrono::steady_clock::now();
    try {
        readAt(range, out);
    } catch (Error& e) {
        e.at(url(), {}, range.offset);
        throw;
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    stats_.record(range.length, elapsed.count());
}

std::vector<std::byte> ByteSource::read(std::uint64_t offset, std::uint64_t length) {
    const ReadRange range{offset, length};
    checkRange(range);
    std::vector<std::byte> buffer(length);
    readInto(range, buffer);
    return buffer;
}

namespace {

// The input that spans the whole request, if any (a lone range, duplicates, ranges inside a
// larger one): it can take the bytes directly, and the others are copied from it.
std::optional<std::size_t> coveringInput(const CoalescedRead& merged,
                                         std::span<const ReadRange> ranges) {
    for (std::size_t index : merged.inputs) {
        if (ranges[index] == merged.range) return index;
    }
    return std::nullopt;
}

}  // namespace

std::vector<std::vector<std::byte>> ByteSource::readv(std::span<const ReadRange> ranges) {
    for (const ReadRange& range : ranges) checkRange(range);
    const std::vector<CoalescedRead> reads = coalesceRanges(ranges, limits_);

    std::vector<std::vector<std::byte>> buffers(ranges.size());
    for (std::size_t i = 0; i < ranges.size(); ++i) buffers[i].resize(ranges[i].length);

    // Requests that no input covers land in one scratch buffer, sized for the largest and not
    // zero-filled: the read overwrites it, and fresh pages are the main cost of the copy.
    std::uint64_t scratch_size = 0;
    for (const CoalescedRead& merged : reads) {
        if (!coveringInput(merged, ranges)) {
            scratch_size = std::max(scratch_size, merged.range.length);
        }
    }
    const auto scratch = std::make_unique_for_overwrite<std::byte[]>(scratch_size);

    for (const CoalescedRead& merged : reads) {
        const std::optional<std::size_t> covering = coveringInput(merged, ranges);
        const std::span<std::byte> target = covering
                                                ? std::span<std::byte>(buffers[*covering])
                                                : std::span(scratch.get(), merged.range.length);
        readInto(merged.range, target);
        for (std::size_t index : merged.inputs) {
            if (index == covering) continue;
            const ReadRange& r = ranges[index];
            std::memcpy(buffers[index].data(), target.data() + (r.offset - merged.range.offset),
                        r.length);
        }
    }
    return buffers;
}

namespace {

char asciiLower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string asciiLower(std::string_view s) {
    std::string lower(s);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return asciiLower(c); });
    return lower;
}

bool isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

// The lower-cased scheme of "scheme://...", or nothing for a plain path. Only the "://" form
// counts, since "a:b" is a legal file name.
std::optional<std::string> urlScheme(std::string_view url) {
    const std::size_t colon = url.find("://");
    if (colon == std::string_view::npos || colon == 0 || !isAlpha(url[0])) return std::nullopt;
    for (char c : url.substr(0, colon)) {
        if (!isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.') return std::nullopt;
    }
    return asciiLower(url.substr(0, colon));
}

int hexValue(char c) {
    if (isDigit(c)) return c - '0';
    c = asciiLower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// The local path of a file URL (RFC 8089): file:/p, file:///p or file://localhost/p, with
// %XX escapes decoded.
std::string filePathOfUrl(const std::string& url) {
    std::string_view rest = std::string_view(url).substr(std::string_view("file:").size());
    if (rest.starts_with("//")) {
        rest.remove_prefix(2);
        const std::size_t slash = rest.find('/');
        const std::string_view host = rest.substr(0, slash);
        if (!host.empty() && asciiLower(host) != "localhost") {
            throwAt<UnsupportedError>(
                fmt::format("file URL on another host '{}' (use a local path)", host), url);
        }
        if (slash == std::string_view::npos) {
            throwAt<UsageError>("file URL without a path", url);
        }
        rest.remove_prefix(slash);
    }
    std::string path;
    path.reserve(rest.size());
    for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] != '%') {
            path.push_back(rest[i]);
            continue;
        }
        const int high = i + 2 < rest.size() ? hexValue(rest[i + 1]) : -1;
        const int low = i + 2 < rest.size() ? hexValue(rest[i + 2]) : -1;
        if (high < 0 || low < 0 || (high == 0 && low == 0)) {
            // rest is a suffix of url, so this is the position in what the user typed.
            throwAt<UsageError>(fmt::format("malformed %-escape at character {} of file URL",
                                            url.size() - rest.size() + i),
                                url);
        }
        path.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return path;
}

}  // namespace

std::unique_ptr<ByteSource> openSource(const std::string& url) {
    if (url.empty()) throw UsageError("empty path or URL");
    const std::optional<std::string> scheme = urlScheme(url);
    const bool is_file_url = scheme ? *scheme == "file" : asciiLower(url).starts_with("file:/");
    if (is_file_url) return std::make_unique<LocalFileSource>(filePathOfUrl(url), url);
    if (scheme) {
        throwAt<UnsupportedError>(
            fmt::format("URL scheme '{}' is not supported yet (only local paths and "
                        "file:// URLs are)",
                        *scheme),
            url);
    }
    return std::make_unique<LocalFileSource>(url);
}

}  // namespace hepflow::io
