// The compiler's type rules: names and dtypes of the value types, structural keys of constants
// and the promotion of operands to their common type (docs/expressions.md, "Types").
#include "frame/expr/detail/type_rules.h"

#include <algorithm>

#include <fmt/format.h>

namespace hepflow::frame::expr::detail {
namespace {

int rankOf(Ty ty) {
    return static_cast<int>(ty);
}

}  // namespace

DType dtypeOfTy(Ty ty) {
    switch (ty) {
        case Ty::Bool: return DType::Bool;
        case Ty::Int: return DType::Int64;
        case Ty::Float: return DType::Float32;
        case Ty::Double: return DType::Float64;
    }
    return DType::Float64;
}

std::string_view tyName(Ty ty) {
    switch (ty) {
        case Ty::Bool: return "bool";
        case Ty::Int: return "int";
        case Ty::Float: return "float";
        case Ty::Double: return "double";
    }
    return "?";
}

std::string constKey(const Val& v) {
    if (v.ty == Ty::Float || v.ty == Ty::Double) return fmt::format("{}:{}", tyName(v.ty), v.d);
    return fmt::format("{}:{}", tyName(v.ty), v.i);
}
std::string keyOf(const Val& v) {
    return v.shape == Shape::Const ? constKey(v) : v.key;
}

Ty promote(const std::vector<const Val*>& values, bool bool_to_int) {
    int strong = -1;
    bool weak = false;
    for (const Val* v : values) {
        if (v->weak)
            weak = true;
        else
            strong = std::max(strong, rankOf(v->ty));
    }
    Ty result;
    if (strong < 0)
        result = Ty::Double;
    else if (weak && strong < rankOf(Ty::Float))
        result = Ty::Double;
    else
        result = static_cast<Ty>(strong);
    if (bool_to_int && result == Ty::Bool) result = Ty::Int;
    return result;
}

}  // namespace hepflow::frame::expr::detail
