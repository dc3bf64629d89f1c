// NAT, port forwarding and isolation between managed networks: elements of the
// nftables table `inet contain`, one file each under engine/firewall/.
#pragma once

#include "engine/firewall/forward.hpp"
#include "engine/firewall/isolation.hpp"
#include "engine/firewall/nat.hpp"
#include "engine/firewall/table.hpp"
