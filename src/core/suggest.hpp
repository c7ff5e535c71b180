#pragma once
// "Did you mean ...?": the candidate a slip of the keyboard most likely meant.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pxed::core {

// Levenshtein distance, ignoring ASCII case.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate equal to name but for case, else the closest within
// max_distance edits (the first of equals); nullopt when none is that close.
std::optional<std::string> nearest(std::string_view name, std::span<const std::string> candidates,
                                   std::size_t max_distance = 2);

}  // namespace pxed::core
