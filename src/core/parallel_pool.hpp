// A small pool of worker threads for the compressors that split a stream into blocks: the
// submitting thread queues tasks, the workers run them in any order, and the submitter waits for
// them in its own order, so the output never depends on scheduling or on the thread count.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ckimg {

struct ParallelOptions {
    unsigned threads = 0;       // 0: default_threads()
    std::size_t block_size = 0; // 0: the compressor's default
};

// One compression thread per core this process may use, at most 8: beyond that a layer's
// compression outruns the disk and the hash, and each thread costs a few MiB of buffers.
unsigned default_threads();

class WorkerPool {
public:
    // A unit of work; it must stay alive from submit() until wait() returns.
    class Task {
    public:
        virtual ~Task() = default;
        virtual void run() = 0;

    private:
        friend class WorkerPool;
        bool done_ = false;
        std::exception_ptr error_;
    };

    explicit WorkerPool(unsigned threads);
    // Stops the workers; tasks not started yet are dropped (a failed build abandons them).
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    unsigned threads() const { return static_cast<unsigned>(workers_.size()); }
    void submit(Task& task);
    // Whether `task` has run (so that wait() would not block).
    bool done(Task& task);
    // Blocks until `task` has run; rethrows what it threw.
    void wait(Task& task);

private:
    void work();
    void stop();

    std::mutex mutex_;
    std::condition_variable queued_;
    std::condition_variable finished_;
    std::deque<Task*> queue_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

} // namespace ckimg
