// When and how long to wait before trying again: exponential backoff with full jitter, capped,
// and a server's Retry-After honoured. Retried: transport errors, 408, 429, 500, 502, 503, 504.
#pragma once

#include "registry/http_client.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>

namespace ckimg::registry {

struct RetryPolicy {
    int retries = 5;
    std::chrono::milliseconds base{200};
    std::chrono::milliseconds cap{20'000};
    // The longest wait a server's Retry-After may ask for (--timeout): a longer one fails at once,
    // saying what the server asked, instead of holding the user past the time they allowed.
    std::chrono::seconds max_wait{60};
};

bool retryable_status(long status);
// Parses Retry-After: delta-seconds or an HTTP date; nullopt when neither.
std::optional<std::chrono::seconds> parse_retry_after(const std::string& value);

class Backoff {
public:
    explicit Backoff(RetryPolicy policy, const CancelToken* cancel = nullptr);
    // True while another attempt is allowed; counts it.
    bool next_attempt() { return ++failures_ <= policy_.retries; }
    void reset() { failures_ = 0; }
    int failures() const { return failures_; }
    bool cancelled() const { return cancel_ != nullptr && cancel_->cancelled(); }
    // Sleeps before the next attempt (jittered, or what Retry-After asked); wakes early on
    // cancellation. Throws RegistryError when Retry-After asks for more than policy.max_wait.
    void wait(const HttpResponse* response = nullptr);
    std::chrono::milliseconds delay_for(int failure);

private:
    RetryPolicy policy_;
    const CancelToken* cancel_;
    int failures_ = 0;
    std::mt19937_64 rng_;
};

// Runs `attempt` until its response is not retryable or the retries are spent. TransportError
// from the last attempt propagates.
HttpResponse send_with_retries(Backoff& backoff, const std::function<HttpResponse()>& attempt);

} // namespace ckimg::registry
