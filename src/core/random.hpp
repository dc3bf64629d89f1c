// Random bytes from the kernel (getrandom), for names, ids and addresses.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace contain {

// Fills `out`. getrandom(2) without flags only fails when interrupted (retried)
// or on kernels older than 3.17 (contain needs much newer ones): then it aborts.
void random_bytes(std::span<unsigned char> out);
// `bytes` random bytes as lowercase hex (2 characters each).
std::string random_hex(std::size_t bytes);

}  // namespace contain
