// The compiler's type and shape rules (docs/expressions.md, "Types"): the four value types,
// the three shapes (constant, per event, per object), compile-time values, constant folding
// helpers and the promotion rule with weak float literals.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "frame/columns/column.h"

namespace hepflow::frame::expr::detail {

enum class Ty { Bool, Int, Float, Double };
enum class Shape { Const, Event, Object };

DType dtypeOfTy(Ty ty);
std::string_view tyName(Ty ty);

template <class T>
constexpr Ty tyOf() {
    if constexpr (std::is_same_v<T, bool>)
        return Ty::Bool;
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return Ty::Int;
    else if constexpr (std::is_same_v<T, float>)
        return Ty::Float;
    else
        return Ty::Double;
}

// Calls fn.template operator()<T>() with the C++ type of `ty`.
template <class Fn>
decltype(auto) withType(Ty ty, Fn&& fn) {
    switch (ty) {
        case Ty::Bool: return fn.template operator()<bool>();
        case Ty::Int: return fn.template operator()<std::int64_t>();
        case Ty::Float: return fn.template operator()<float>();
        case Ty::Double: break;
    }
    return fn.template operator()<double>();
}

// A compile-time value: a constant, or a register holding a per-event or per-object column.
struct Val {
    Shape shape = Shape::Const;
    Ty ty = Ty::Double;
    // Const: the value (ints and bools in i, floats in d). `weak`: a float literal, which
    // takes the type of a float operand (docs/expressions.md).
    std::int64_t i = 0;
    double d = 0;
    bool weak = false;
    // Event / Object
    int reg = -1;
    std::string key;  // structural key: equal keys are equal values
    // Object: `coll` identifies the counts per event (equal keys: proven equal counts);
    // `root` names the collection for messages; `combo`: the objects of a pairs()/triplets().
    std::string coll;
    std::string root;
    bool combo = false;
};

template <class T>
T constAs(const Val& v) {
    if (v.ty == Ty::Float || v.ty == Ty::Double) return static_cast<T>(v.d);
    if constexpr (std::is_same_v<T, bool>)
        return v.i != 0;
    else
        return static_cast<T>(v.i);
}

template <class T>
Val makeConst(T value, bool weak = false) {
    Val v;
    v.shape = Shape::Const;
    v.ty = tyOf<T>();
    if constexpr (std::is_floating_point_v<T>)
        v.d = static_cast<double>(value);
    else
        v.i = static_cast<std::int64_t>(value);
    v.weak = weak && v.ty == Ty::Double;
    return v;
}

// The structural key of a constant ("int:3") and of any value.
std::string constKey(const Val& v);
std::string keyOf(const Val& v);

// The common type of operands, with the weak-literal rule: a float literal is `float` beside a
// float operand and `double` otherwise. `bool_to_int`: arithmetic promotes bool to int.
Ty promote(const std::vector<const Val*>& values, bool bool_to_int);

}  // namespace hepflow::frame::expr::detail
