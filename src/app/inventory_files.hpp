#pragma once
// The provider of generated files that app hands the tree: boot decides and
// renders (boot::config_file), this only translates between vfs and boot and
// holds the snapshot it decides with. A reload makes a new provider.
#include <memory>

#include "boot/inventory.hpp"
#include "boot/sightings.hpp"
#include "config/config.hpp"
#include "vfs/generated.hpp"

namespace pxed::app {

class InventoryFiles : public vfs::Generator {
 public:
  InventoryFiles(std::shared_ptr<const config::Config> config, const boot::Sightings& sightings,
                 const boot::Remembered* remembered = nullptr)
      : config_(std::move(config)), sightings_(sightings), remembered_(remembered) {}

  std::optional<vfs::Generation> generate(std::string_view rel, const vfs::Requester& who) const override;

 private:
  std::shared_ptr<const config::Config> config_;
  const boot::Sightings& sightings_;
  const boot::Remembered* remembered_;
};

}  // namespace pxed::app
