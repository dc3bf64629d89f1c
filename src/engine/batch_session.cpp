#include "engine/batch_session.hpp"

#include "kernel/netlink/socket.hpp"

namespace contain::engine {

Result<BatchSession> BatchSession::begin() { return BatchSession(TRY(StateStore::hold())); }

BatchSession::BatchSession(StateStore::Hold hold)
    : hold_(std::move(hold)), sockets_(std::make_unique<kernel::NetlinkSocketCache>()) {}

BatchSession::BatchSession(BatchSession&&) noexcept = default;
BatchSession& BatchSession::operator=(BatchSession&&) noexcept = default;
BatchSession::~BatchSession() = default;

}  // namespace contain::engine
