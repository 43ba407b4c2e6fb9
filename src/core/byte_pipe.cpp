#include "core/byte_pipe.hpp"

#include <ckimg/error.hpp>

#include <algorithm>
#include <cstring>

namespace ckimg {

BytePipe::BytePipe(std::size_t block_size, std::size_t blocks)
    : block_size_(block_size), max_blocks_(std::max<std::size_t>(blocks, 1)) {
    current_.reserve(block_size_);
}

bool BytePipe::write(const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
        auto piece = std::min(size, block_size_ - current_.size());
        current_.insert(current_.end(), data, data + piece);
        data += piece;
        size -= piece;
        if (current_.size() < block_size_) break;
        std::unique_lock lock(mutex_);
        flush_current(lock);
        if (abandoned_) return false;
    }
    return !abandoned_.load();
}

// Moves the filled buffer into the queue, waiting for room; takes an empty one in exchange.
void BytePipe::flush_current(std::unique_lock<std::mutex>& lock) {
    changed_.wait(lock, [this] { return full_.size() < max_blocks_ || abandoned_; });
    if (abandoned_) {
        current_.clear();
        return;
    }
    full_.push_back(std::move(current_));
    if (free_.empty()) {
        current_ = {};
        current_.reserve(block_size_);
    } else {
        current_ = std::move(free_.back());
        free_.pop_back();
    }
    changed_.notify_all();
}

void BytePipe::close() {
    std::unique_lock lock(mutex_);
    if (!current_.empty()) flush_current(lock);
    closed_ = true;
    changed_.notify_all();
}

void BytePipe::cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    changed_.notify_all();
}

void BytePipe::fail(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    error_ = std::move(error);
    cancelled_ = true;
    changed_.notify_all();
}

std::size_t BytePipe::read(std::uint8_t* buffer, std::size_t capacity) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !full_.empty() || closed_ || cancelled_; });
    if (error_) std::rethrow_exception(error_);
    if (cancelled_) throw Cancelled("the data stream was cancelled");
    if (full_.empty()) return 0;
    auto& front = full_.front();
    auto n = std::min(capacity, front.size() - read_offset_);
    // Copied under the lock: the producer never touches queued buffers, so this only delays its
    // next hand-over, and a block is at most 1 MiB.
    std::memcpy(buffer, front.data() + read_offset_, n);
    read_offset_ += n;
    if (read_offset_ == front.size()) {
        front.clear();
        free_.push_back(std::move(front));
        full_.pop_front();
        read_offset_ = 0;
        changed_.notify_all();
    }
    return n;
}

bool BytePipe::read_block(std::vector<std::uint8_t>& block) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !full_.empty() || closed_ || cancelled_; });
    if (error_) std::rethrow_exception(error_);
    if (cancelled_) throw Cancelled("the data stream was cancelled");
    if (full_.empty()) return false;
    block.clear();
    if (block.capacity() > 0) free_.push_back(std::move(block));
    block = std::move(full_.front());
    full_.pop_front();
    changed_.notify_all();
    return true;
}

void BytePipe::abandon() {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    full_.clear();
    changed_.notify_all();
}

} // namespace ckimg
