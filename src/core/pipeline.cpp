#include "core/pipeline.hpp"

#include <ckimg/error.hpp>

namespace ckimg {

ThreadedSink::ThreadedSink(ByteSink& next, std::size_t buffer_size, std::size_t depth)
    : next_(next), pipe_(buffer_size, depth), worker_([this] { run(); }) {}

ThreadedSink::~ThreadedSink() {
    // Abandoned without finish(): the worker stops at its next block and `next` is not finished.
    if (!finished_) pipe_.cancel();
    if (worker_.joinable()) worker_.join();
}

void ThreadedSink::write(const std::uint8_t* data, std::size_t size) {
    if (!pipe_.write(data, size)) rethrow_worker_error();
}

void ThreadedSink::finish() {
    finished_ = true;
    pipe_.close();
    worker_.join();
    if (error_) std::rethrow_exception(error_);
}

void ThreadedSink::rethrow_worker_error() {
    // The worker stored its error before abandoning the pipe, and the pipe's lock orders the two.
    if (error_) std::rethrow_exception(error_);
    throw Error("internal error: pipeline stage stopped early");
}

void ThreadedSink::run() {
    try {
        std::vector<std::uint8_t> block;
        while (pipe_.read_block(block))
            next_.write(block.data(), block.size());
        next_.finish();
    } catch (...) {
        error_ = std::current_exception();
        pipe_.abandon();
    }
}

} // namespace ckimg
