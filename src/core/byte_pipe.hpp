// A bounded byte queue between one producing thread and one consuming thread: the one hand-off of
// bytes between threads (a consumer that pulls, as libcurl asks for a request body piece by
// piece, or a worker stage that takes whole blocks, as ThreadedSink's does).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <vector>

namespace ckimg {

class BytePipe {
public:
    // At most `blocks` buffers of `block_size` bytes are held; the producer waits beyond that.
    explicit BytePipe(std::size_t block_size = 1 << 20, std::size_t blocks = 4);

    // Producer side. write() returns false (and drops the bytes) once the consumer has
    // abandoned the pipe; close() marks the end of the data; cancel() makes read() throw
    // Cancelled, fail() makes it throw `error`, both at once, without what is still queued.
    bool write(const std::uint8_t* data, std::size_t size);
    void close();
    void cancel();
    void fail(std::exception_ptr error);

    // Consumer side. read() blocks until bytes, the end (0), a cancel or a failure;
    // abandon() tells the producer nobody reads any more.
    std::size_t read(std::uint8_t* buffer, std::size_t capacity);
    // read() without the copy, for a consumer that takes whole blocks (never mixed with read()):
    // swaps the next block into `block`, whose old buffer the producer reuses; false at the end.
    bool read_block(std::vector<std::uint8_t>& block);
    void abandon();

private:
    void flush_current(std::unique_lock<std::mutex>& lock);

    const std::size_t block_size_;
    const std::size_t max_blocks_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::vector<std::uint8_t>> full_;  // written, not yet read
    std::vector<std::vector<std::uint8_t>> free_; // read, kept for reuse (no allocation per block)
    std::vector<std::uint8_t> current_;           // being filled by the producer
    std::size_t read_offset_ = 0;                 // into full_.front()
    bool closed_ = false;
    bool cancelled_ = false;
    std::exception_ptr error_;
    // Read without the lock on write()'s fast path (a write that fills no block takes no lock).
    std::atomic<bool> abandoned_{false};
};

} // namespace ckimg
