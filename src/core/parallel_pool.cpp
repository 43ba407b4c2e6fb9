#include "core/parallel_pool.hpp"

#include <sched.h>

#include <algorithm>

namespace ckimg {

namespace {

constexpr unsigned kMaxDefaultThreads = 8;

// The affinity mask, not the machine's core count: a container or `taskset` may allow fewer.
unsigned available_cores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return static_cast<unsigned>(CPU_COUNT(&set));
    unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : cores;
}

} // namespace

unsigned default_threads() {
    return std::min(available_cores(), kMaxDefaultThreads);
}

WorkerPool::WorkerPool(unsigned threads) {
    if (threads == 0) threads = 1;
    workers_.reserve(threads);
    try {
        for (unsigned i = 0; i < threads; ++i)
            workers_.emplace_back([this] { work(); });
    } catch (...) {
        stop(); // joins the threads already started
        throw;
    }
}

WorkerPool::~WorkerPool() {
    stop();
}

void WorkerPool::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        queue_.clear();
    }
    queued_.notify_all();
    for (auto& worker : workers_)
        if (worker.joinable()) worker.join();
}

void WorkerPool::submit(Task& task) {
    {
        std::lock_guard lock(mutex_);
        task.done_ = false;
        task.error_ = nullptr;
        queue_.push_back(&task);
    }
    queued_.notify_one();
}

bool WorkerPool::done(Task& task) {
    std::lock_guard lock(mutex_);
    return task.done_;
}

void WorkerPool::wait(Task& task) {
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [&] { return task.done_; });
    if (task.error_) std::rethrow_exception(task.error_);
}

void WorkerPool::work() {
    for (;;) {
        Task* task = nullptr;
        {
            std::unique_lock lock(mutex_);
            queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            task = queue_.front();
            queue_.pop_front();
        }
        std::exception_ptr error;
        try {
            task->run();
        } catch (...) {
            error = std::current_exception();
        }
        {
            std::lock_guard lock(mutex_);
            task->done_ = true;
            task->error_ = error;
        }
        finished_.notify_all();
    }
}

} // namespace ckimg
