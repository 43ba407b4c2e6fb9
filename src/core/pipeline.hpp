// Stream stages composed into pipelines: hashing, counting, and a thread hand-off so that the
// stages before and after it run on different cores.
#pragma once

#include "core/byte_pipe.hpp"

#include <ckimg/digest.hpp>
#include <ckimg/progress.hpp>
#include <ckimg/stream.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ckimg {

// Hashes and counts what passes through to `next`.
class HashingSink : public ByteSink {
public:
    explicit HashingSink(ByteSink& next) : next_(next) {}
    using ByteSink::write;
    void write(const std::uint8_t* data, std::size_t size) override {
        // A piece at a time, so that `next` reads what the hash just read from the cache.
        while (size > 0) {
            std::size_t n = size < kPiece ? size : kPiece;
            hash_.update(data, n);
            size_ += n;
            next_.write(data, n);
            data += n;
            size -= n;
        }
    }
    void finish() override {
        digest_ = hash_.finish();
        next_.finish();
    }
    // Valid after finish().
    const Digest& digest() const { return digest_; }
    std::uint64_t size() const { return size_; }

private:
    static constexpr std::size_t kPiece = 64 * 1024;
    ByteSink& next_;
    Sha256 hash_;
    Digest digest_;
    std::uint64_t size_ = 0;
};

// Gathers writes into large buffers and hands them, through a BytePipe, to a worker thread that
// feeds `next`. The pipe's bound keeps memory at depth * buffer_size. An exception in the worker
// is rethrown to the writer.
class ThreadedSink : public ByteSink {
public:
    explicit ThreadedSink(ByteSink& next, std::size_t buffer_size = 1 << 20, std::size_t depth = 8);
    ~ThreadedSink() override;
    ThreadedSink(const ThreadedSink&) = delete;
    ThreadedSink& operator=(const ThreadedSink&) = delete;

    using ByteSink::write;
    void write(const std::uint8_t* data, std::size_t size) override;
    void finish() override;

private:
    void run();
    void rethrow_worker_error();

    ByteSink& next_;
    BytePipe pipe_;
    std::exception_ptr error_; // written by the worker before it abandons the pipe
    bool finished_ = false;
    std::thread worker_; // last: starts once everything it uses exists
};

// Counts what passes through to `next` and reports it to `progress` (if set) at most once per
// `every` bytes, then once more, finished, at the end. `total`: the bytes expected, 0 when not
// known in advance.
class ProgressSink : public ByteSink {
public:
    ProgressSink(ByteSink& next, ProgressCallback progress, std::string label,
                 std::uint64_t every = 4 << 20, std::uint64_t total = 0)
        : next_(next), progress_(std::move(progress)), label_(std::move(label)), every_(every),
          total_(total) {}
    using ByteSink::write;
    void write(const std::uint8_t* data, std::size_t size) override {
        next_.write(data, size);
        done_ += size;
        if (progress_ && done_ - reported_ >= every_) report(false);
    }
    void finish() override {
        next_.finish();
        if (progress_) report(true);
    }

private:
    void report(bool finished) {
        reported_ = done_;
        progress_(TransferProgress{label_, done_, total_, finished});
    }

    ByteSink& next_;
    ProgressCallback progress_;
    std::string label_;
    std::uint64_t every_;
    std::uint64_t total_;
    std::uint64_t done_ = 0;
    std::uint64_t reported_ = 0;
};

// A sink that discards its input (for validation runs).
class NullSink : public ByteSink {
public:
    void write(const std::uint8_t*, std::size_t) override {}
    void finish() override {}
};

} // namespace ckimg
