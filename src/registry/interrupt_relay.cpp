#include "registry/interrupt_relay.hpp"

#include <chrono>

namespace ckimg::registry {

namespace {

// A signal handler may only set a flag, so the flag is polled; 50 ms is below what a user
// notices and costs nothing next to a transfer.
constexpr auto kPollInterval = std::chrono::milliseconds(50);

} // namespace

InterruptRelay::InterruptRelay(const std::atomic<bool>* interrupt, std::atomic<bool>& cancel) {
    if (interrupt != nullptr)
        thread_ = std::thread([this, interrupt, &cancel] { watch(interrupt, cancel); });
}

InterruptRelay::~InterruptRelay() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void InterruptRelay::watch(const std::atomic<bool>* interrupt, std::atomic<bool>& cancel) {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, kPollInterval, [this] { return stopping_; })) {
        if (interrupt->load()) {
            cancel = true;
            return;
        }
    }
}

} // namespace ckimg::registry
