// What a caller shares with every long library call (crun's libcrun_context_t is the model): a
// way to stop it, where its progress and warnings go, and whether to trace what it does.
#pragma once

#include <ckimg/progress.hpp>

#include <atomic>
#include <functional>
#include <string>

namespace ckimg {

// A request to stop, seen by every transfer, wait and loop that was handed the token. A child
// token also sees its parent's: a copy gives each registry session a child of the caller's, so
// that a failed blob stops its siblings without the caller's token saying "interrupted".
// cancel() only stores an atomic flag, so a signal handler may call it; the long operations
// check the token between reads, in libcurl's progress callback and in their retry waits, so no
// thread watches it.
class CancelToken {
public:
    explicit CancelToken(const CancelToken* parent = nullptr) : parent_(parent) {}
    CancelToken(const CancelToken&) = delete;
    CancelToken& operator=(const CancelToken&) = delete;

    void cancel() noexcept { flag_.store(true, std::memory_order_relaxed); }
    bool cancelled() const noexcept {
        return flag_.load(std::memory_order_relaxed) ||
               (parent_ != nullptr && parent_->cancelled());
    }
    // Throws Cancelled when cancelled.
    void throw_if_cancelled() const;

private:
    std::atomic<bool> flag_{false};
    const CancelToken* parent_;
};
static_assert(std::atomic<bool>::is_always_lock_free, "cancel() must be async-signal-safe");

struct Context {
    // Null: the call cannot be stopped from outside.
    const CancelToken* cancel = nullptr;
    // Progress of the transfers and layers, serialised by the library; empty: no reports.
    ProgressCallback progress;
    // One-line warnings ("auth file is readable by other users"); empty: stderr.
    std::function<void(const std::string&)> warn;
    // Requests and responses on stderr (--verbose), secrets redacted.
    bool trace = false;

    bool cancelled() const { return cancel != nullptr && cancel->cancelled(); }
    void throw_if_cancelled() const {
        if (cancel != nullptr) cancel->throw_if_cancelled();
    }
};

} // namespace ckimg
