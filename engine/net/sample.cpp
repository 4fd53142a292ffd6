#include "net/sample.hpp"

#include <algorithm>
#include <string_view>

namespace autoopt::net {

const char* to_string(Policy p) noexcept {
  switch (p) {
    case Policy::FIFO: return "FIFO";
    case Policy::SP: return "SP";
    case Policy::WFQ: return "WFQ";
    case Policy::DRR: return "DRR";
  }
  return "?";
}

std::optional<Policy> parse_policy(std::string_view name) noexcept {
  if (name == "FIFO") return Policy::FIFO;
  if (name == "SP") return Policy::SP;
  if (name == "WFQ") return Policy::WFQ;
  if (name == "DRR") return Policy::DRR;
  return std::nullopt;
}

int Node::queue_of_tos(int tos) const noexcept {
  for (std::size_t q = 0; q < queue_tos.size(); ++q) {
    if (std::find(queue_tos[q].begin(), queue_tos[q].end(), tos) != queue_tos[q].end()) {
      return static_cast<int>(q);
    }
  }
  return -1;
}

int Topology::find_link(int src, int dst) const noexcept {
  for (std::size_t i = 0; i < links.size(); ++i) {
    if (links[i].src == src && links[i].dst == dst) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace autoopt::net
