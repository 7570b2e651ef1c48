// The one exception hierarchy of hepflow. Every error carries where it happened: the file
// (or URL), the object inside it (key path, branch, basket) and the absolute byte offset,
// plus breadcrumbs added as it propagates ("TBranchElement v10"). The layer that knows the
// offset throws; layers above add what they know with at()/within() and rethrow.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hepflow {

class Error : public std::runtime_error {
public:
    explicit Error(std::string message);

    // Fills in context that is still unknown; context already set by a deeper layer wins.
    Error& at(std::string_view file, std::string_view object = {},
              std::optional<std::uint64_t> offset = std::nullopt);
    Error& setFile(std::string_view file);
    Error& setObject(std::string_view object);
    Error& setOffset(std::uint64_t offset);
    // Adds an outer breadcrumb (printed outermost first).
    Error& within(std::string_view breadcrumb);

    const std::string& message() const { return message_; }
    const std::string& file() const { return file_; }
    const std::string& object() const { return object_; }
    std::optional<std::uint64_t> offset() const { return offset_; }
    const std::vector<std::string>& breadcrumbs() const { return breadcrumbs_; }

    // "message: file:object at byte N (in A > B)" — the one line the CLI prints.
    const char* what() const noexcept override;
    virtual const char* kind() const noexcept { return "error"; }

private:
    void refresh();
    std::string message_;
    std::string file_;
    std::string object_;
    std::optional<std::uint64_t> offset_;
    std::vector<std::string> breadcrumbs_;
    std::string what_;
};

// Gives each error class context setters that return its own type, so that
// `throw FormatError("...").at(file, object, offset)` throws a FormatError, not a sliced Error.
template <class Derived>
class ErrorOfKind : public Error {
public:
    using Error::Error;
    Derived& at(std::string_view file, std::string_view object = {},
                std::optional<std::uint64_t> offset = std::nullopt) {
        Error::at(file, object, offset);
        return static_cast<Derived&>(*this);
    }
    Derived& setFile(std::string_view file) { return at(file); }
    Derived& setObject(std::string_view object) { return at({}, object); }
    Derived& setOffset(std::uint64_t offset) { return at({}, {}, offset); }
    Derived& within(std::string_view breadcrumb) {
        Error::within(breadcrumb);
        return static_cast<Derived&>(*this);
    }
};

// The byte source failed (names the URL and the request).
class IoError : public ErrorOfKind<IoError> {
public:
    using ErrorOfKind::ErrorOfKind;
    const char* kind() const noexcept override { return "I/O error"; }
};

// The bytes are corrupt or inconsistent; always carries an offset.
class FormatError : public ErrorOfKind<FormatError> {
public:
    using ErrorOfKind::ErrorOfKind;
    const char* kind() const noexcept override { return "format error"; }
};

// Valid ROOT (or input) that hepflow does not handle yet; names the class or algorithm.
class UnsupportedError : public ErrorOfKind<UnsupportedError> {
public:
    using ErrorOfKind::ErrorOfKind;
    const char* kind() const noexcept override { return "unsupported"; }
};

// A bad option, path, glob or expression given by the user.
class UsageError : public ErrorOfKind<UsageError> {
public:
    using ErrorOfKind::ErrorOfKind;
    const char* kind() const noexcept override { return "usage error"; }
};

// A bug in hepflow: an invariant did not hold.
class InternalError : public ErrorOfKind<InternalError> {
public:
    using ErrorOfKind::ErrorOfKind;
    const char* kind() const noexcept override { return "internal error"; }
};

// Throws an E (FormatError, IoError, ...) carrying whatever context the thrower knows; empty
// file/object and a missing offset are left for outer layers to fill in (see Error::at).
template <class E>
[[noreturn]] void throwAt(std::string message, std::string_view file, std::string_view object = {},
                          std::optional<std::uint64_t> offset = std::nullopt) {
    E error(std::move(message));
    error.at(file, object, offset);
    throw error;
}

[[noreturn]] void throwInternal(const char* condition, const char* why, const char* file, int line);

}  // namespace hepflow

// Invariants of hepflow itself, never for checking user input (that throws FormatError etc.).
#define HEPFLOW_ASSERT(cond, why)                                                \
    do {                                                                         \
        if (!(cond)) ::hepflow::throwInternal(#cond, (why), __FILE__, __LINE__); \
    } while (false)
