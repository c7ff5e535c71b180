// placeholder until the config parser lands
#include "config/config.hpp"
