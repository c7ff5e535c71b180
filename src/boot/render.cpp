#include "boot/render.hpp"

#include <array>
#include <string_view>

// The renderers themselves: render_pxelinux.cpp, render_grub.cpp and
// render_ipxe.cpp; what they share: render_support.hpp.

namespace pxed::boot {
namespace {

struct LoaderRow {
  Loader loader;
  std::string_view name;
};
constexpr std::array<LoaderRow, 4> kLoaders = {{
    {Loader::pxelinux, "pxelinux"},
    {Loader::syslinux_efi, "syslinux-efi"},
    {Loader::grub, "grub"},
    {Loader::ipxe, "ipxe"},
}};

}  // namespace

std::string_view to_string(Loader loader) {
  for (const auto& row : kLoaders) {
    if (row.loader == loader) return row.name;
  }
  return "unknown";
}

std::string render(Loader loader, const RenderPlan& plan) {
  switch (loader) {
    case Loader::pxelinux:
    case Loader::syslinux_efi: {
      // The loader knows its firmware better than the plan: pxelinux.0 runs
      // only on BIOS, syslinux.efi only on UEFI (LOCALBOOT and chaining differ).
      auto own = plan;
      own.bios = loader == Loader::pxelinux;
      return render_pxelinux(own);
    }
    case Loader::grub: return render_grub(plan);
    case Loader::ipxe: return render_ipxe(plan);
  }
  return {};
}

}  // namespace pxed::boot
