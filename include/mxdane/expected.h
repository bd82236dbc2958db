// A small stand-in for C++23 std::expected: parsers of untrusted input return
// either a value or a precise, human-readable reason.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace mxdane {

/// Wraps the reason a parser refused its input.
struct Unexpected {
    std::string reason;
};

/// Either a T or the reason there is none.
template <typename T> class Expected {
  public:
    Expected(T value)
        : m_v(std::in_place_index<0>, std::move(value)) {} // NOLINT(google-explicit-constructor): mirrors std::expected
    Expected(Unexpected e)
        : m_v(std::in_place_index<1>, std::move(e)) {} // NOLINT(google-explicit-constructor): mirrors std::expected

    [[nodiscard]] bool has_value() const noexcept { return m_v.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    [[nodiscard]] const T& value() const& { return std::get<0>(m_v); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(m_v)); }
    [[nodiscard]] const T& operator*() const& { return value(); }
    [[nodiscard]] const T* operator->() const { return &value(); }
    [[nodiscard]] const std::string& error() const { return std::get<1>(m_v).reason; }

  private:
    std::variant<T, Unexpected> m_v;
};

} // namespace mxdane
