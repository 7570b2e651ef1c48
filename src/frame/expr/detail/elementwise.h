// Elementwise loops of the expression runtime: one template per (output, inputs, operation),
// each input an array or a broadcast scalar, so that every loop the compiler instantiates is a
// plain indexed loop that g++ and clang vectorize.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>
#include <utility>

namespace hepflow::frame::expr::detail {

template <class T>
struct ArrayInput {
    const T* data;
    T operator[](std::size_t i) const { return data[i]; }
};

template <class T>
struct ScalarInput {
    T value;
    T operator[](std::size_t) const { return value; }
};

template <class Out, class F, class... Inputs>
void elementwiseLoop(Out* __restrict out, std::size_t n, const F& f, Inputs... inputs) {
    for (std::size_t i = 0; i < n; ++i) out[i] = f(inputs[i]...);
}

// Picks array or scalar access for each input (`scalar[I]`) once per call, then runs the loop
// instantiated for that combination.
template <class Out, class F, class Types, std::size_t I = 0, class... Bound>
void elementwiseDispatch(Out* out, std::size_t n, const F& f,
                         const std::array<const void*, std::tuple_size_v<Types>>& data,
                         const std::array<bool, std::tuple_size_v<Types>>& scalar, Bound... bound) {
    if constexpr (I == std::tuple_size_v<Types>) {
        elementwiseLoop(out, n, f, bound...);
    } else {
        using T = std::tuple_element_t<I, Types>;
        const T* p = static_cast<const T*>(data[I]);
        if (scalar[I])
            elementwiseDispatch<Out, F, Types, I + 1>(out, n, f, data, scalar, bound...,
                                                      ScalarInput<T>{*p});
        else
            elementwiseDispatch<Out, F, Types, I + 1>(out, n, f, data, scalar, bound...,
                                                      ArrayInput<T>{p});
    }
}

}  // namespace hepflow::frame::expr::detail
