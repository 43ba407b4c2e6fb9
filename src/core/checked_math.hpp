// Arithmetic on sizes that came from outside (a manifest, a header, an archive): a sum or a
// product that does not fit is said so, never wrapped (signed overflow is undefined behaviour,
// and a wrapped size is a wrong one).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

namespace ckimg {

// a + b, or nullopt when it does not fit.
template <typename T> std::optional<T> checked_add(T a, T b) {
    T sum{};
    if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
    return sum;
}

// a * b, or nullopt when it does not fit.
template <typename T> std::optional<T> checked_mul(T a, T b) {
    T product{};
    if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
    return product;
}

// a + b and a * b, the type's maximum when they do not fit (budgets and limits).
template <typename T> T saturating_add(T a, T b) {
    return checked_add(a, b).value_or(std::numeric_limits<T>::max());
}

template <typename T> T saturating_mul(T a, T b) {
    return checked_mul(a, b).value_or(std::numeric_limits<T>::max());
}

} // namespace ckimg
