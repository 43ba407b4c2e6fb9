#include "registry/retry.hpp"

#include "registry/url.hpp"

#include <ctime>
#include <thread>

namespace ckimg::registry {

bool retryable_status(long status) {
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
           status == 504;
}

std::optional<std::chrono::seconds> parse_retry_after(const std::string& value) {
    if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) {
        // Past nine digits it is more than 31 years: as good as forever, and no overflow.
        if (value.size() > 9) return std::chrono::seconds(999'999'999);
        return std::chrono::seconds(std::stoll(value));
    }
    std::tm tm{};
    if (strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
    auto when = timegm(&tm);
    auto now = std::time(nullptr);
    return std::chrono::seconds(when > now ? when - now : 0);
}

Backoff::Backoff(RetryPolicy policy, const CancelToken* cancel)
    : policy_(policy), cancel_(cancel), rng_(std::random_device{}()) {}

std::chrono::milliseconds Backoff::delay_for(int failure) {
    // Full jitter: a uniform delay up to the exponential bound keeps parallel uploads that
    // failed together from retrying together.
    auto bound = policy_.base * (1LL << std::min(failure, 16));
    bound = std::min(bound, decltype(bound)(policy_.cap));
    std::uniform_int_distribution<long long> pick(bound.count() / 2, bound.count());
    return std::chrono::milliseconds(pick(rng_));
}

void Backoff::wait(const HttpResponse* response) {
    auto delay = delay_for(failures_);
    if (response != nullptr) {
        if (auto header = response->header("retry-after")) {
            if (auto asked = parse_retry_after(*header)) {
                if (*asked > policy_.max_wait)
                    throw RegistryError("HTTP " + std::to_string(response->status) +
                                            ": the registry asks to retry after " +
                                            std::to_string(asked->count()) +
                                            " s, more than --timeout allows (" +
                                            std::to_string(policy_.max_wait.count()) + " s) (" +
                                            redact_url(response->url) + ")",
                                        response->status);
                delay = std::chrono::duration_cast<std::chrono::milliseconds>(*asked);
            }
        }
    }
    auto deadline = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < deadline) {
        if (cancelled()) return;
        auto left = deadline - std::chrono::steady_clock::now();
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(100)));
    }
}

HttpResponse send_with_retries(Backoff& backoff, const std::function<HttpResponse()>& attempt) {
    while (true) {
        try {
            auto response = attempt();
            if (!retryable_status(response.status) || !backoff.next_attempt()) return response;
            backoff.wait(&response);
        } catch (const TransportError&) {
            if (backoff.cancelled() || !backoff.next_attempt()) throw;
            backoff.wait();
        }
    }
}

} // namespace ckimg::registry
