#include "core/pipeline.hpp"

#include <ckimg/error.hpp>

namespace ckimg {

ThreadedSink::ThreadedSink(ByteSink& next, std::size_t buffer_size, std::size_t depth)
    : next_(next), buffer_size_(buffer_size), depth_(depth) {
    current_.reserve(buffer_size_);
    worker_ = std::thread([this] { run(); });
}

ThreadedSink::~ThreadedSink() {
    {
        std::lock_guard lock(mutex_);
        if (!worker_done_) aborted_ = true;
        closing_ = true;
    }
    changed_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void ThreadedSink::write(const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
        std::size_t room = buffer_size_ - current_.size();
        std::size_t piece = std::min(room, size);
        current_.insert(current_.end(), data, data + piece);
        data += piece;
        size -= piece;
        if (current_.size() == buffer_size_) {
            std::vector<std::uint8_t> full;
            full.reserve(buffer_size_);
            full.swap(current_);
            enqueue(std::move(full));
        }
    }
}

void ThreadedSink::enqueue(std::vector<std::uint8_t> buffer) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return queue_.size() < depth_ || error_ || worker_done_; });
    if (error_ || worker_done_) {
        lock.unlock();
        rethrow_worker_error();
        return;
    }
    queue_.push_back(std::move(buffer));
    lock.unlock();
    changed_.notify_all();
}

void ThreadedSink::finish() {
    if (!current_.empty()) enqueue(std::move(current_));
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    changed_.notify_all();
    worker_.join();
    rethrow_worker_error();
}

void ThreadedSink::rethrow_worker_error() {
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
    if (worker_done_ && !closing_) throw Error("internal error: pipeline stage stopped early");
}

void ThreadedSink::run() {
    try {
        for (;;) {
            std::vector<std::uint8_t> buffer;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [this] { return !queue_.empty() || closing_; });
                if (aborted_) break;
                if (queue_.empty()) {
                    lock.unlock();
                    next_.finish();
                    break;
                }
                buffer = std::move(queue_.front());
                queue_.pop_front();
            }
            changed_.notify_all();
            next_.write(buffer.data(), buffer.size());
        }
    } catch (...) {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
    }
    {
        std::lock_guard lock(mutex_);
        worker_done_ = true;
    }
    changed_.notify_all();
}

} // namespace ckimg
