// Formatting and context accumulation for hepflow::Error.
#include "common/error.h"

#include <fmt/format.h>

namespace hepflow {

Error::Error(std::string message) : std::runtime_error(message), message_(std::move(message)) {
    refresh();
}

Error& Error::at(std::string_view file, std::string_view object,
                 std::optional<std::uint64_t> offset) {
    if (file_.empty()) file_ = file;
    if (object_.empty()) object_ = object;
    if (!offset_ && offset) offset_ = offset;
    refresh();
    return *this;
}

Error& Error::setFile(std::string_view file) {
    return at(file);
}
Error& Error::setObject(std::string_view object) {
    return at({}, object);
}
Error& Error::setOffset(std::uint64_t offset) {
    return at({}, {}, offset);
}

Error& Error::within(std::string_view breadcrumb) {
    breadcrumbs_.emplace_back(breadcrumb);
    refresh();
    return *this;
}

const char* Error::what() const noexcept {
    return what_.c_str();
}

void Error::refresh() {
    std::string where;
    if (!file_.empty()) where = file_;
    if (!object_.empty()) where += (where.empty() ? "" : ":") + object_;
    if (offset_) where += fmt::format("{}at byte {}", where.empty() ? "" : " ", *offset_);
    what_ = message_;
    if (!where.empty()) what_ += ": " + where;
    if (!breadcrumbs_.empty()) {
        what_ += " (in ";
        for (auto it = breadcrumbs_.rbegin(); it != breadcrumbs_.rend(); ++it) {
            if (it != breadcrumbs_.rbegin()) what_ += " > ";
            what_ += *it;
        }
        what_ += ")";
    }
}

void throwInternal(const char* condition, const char* why, const char* file, int line) {
    throw InternalError(
        fmt::format("internal error: {} ({}) at {}:{}", why, condition, file, line));
}

}  // namespace hepflow
