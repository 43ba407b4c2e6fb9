// Carries the process's interrupt flag (set by the SIGINT/SIGTERM handler) into a registry
// session's cancel flag, which every transfer, retry wait and upload loop of that session
// already watches: one place makes every registry command stop promptly on Ctrl-C.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace ckimg::registry {

class InterruptRelay {
public:
    // Watches `interrupt` (nothing when null) until destroyed; sets `cancel` when it is set.
    InterruptRelay(const std::atomic<bool>* interrupt, std::atomic<bool>& cancel);
    ~InterruptRelay();
    InterruptRelay(const InterruptRelay&) = delete;
    InterruptRelay& operator=(const InterruptRelay&) = delete;

private:
    void watch(const std::atomic<bool>* interrupt, std::atomic<bool>& cancel);

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace ckimg::registry
