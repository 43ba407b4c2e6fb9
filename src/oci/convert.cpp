// Converting an image between formats: one format's read side streams the archive into a pipe,
// on a thread of its own, and build_image reads it from the other end as it would read a file.
// Nothing is stored in between, so a checkpoint of any size converts in constant space.
#include <ckimg/error.hpp>
#include <ckimg/export.hpp>

#include "oci/archive_file.hpp"

#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <optional>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace ckimg {

namespace {

// The two ends of a pipe, closed on destruction.
struct Pipe {
    int read_fd = -1;
    int write_fd = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw IoError(errno_message("cannot create a pipe"));
        read_fd = fds[0];
        write_fd = fds[1];
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void close_read() {
        if (read_fd >= 0) ::close(read_fd);
        read_fd = -1;
    }
    void close_write() {
        if (write_fd >= 0) ::close(write_fd);
        write_fd = -1;
    }
    // Reads what is left, so that the writer finishes its trailing blocks.
    void drain() {
        char scratch[1 << 16];
        while (::read(read_fd, scratch, sizeof scratch) > 0) {
        }
    }
};

// The producing side: reads the image and writes its archive into the pipe. A write after the
// reader has gone fails with EPIPE rather than killing the process: SIGPIPE is blocked on this
// thread only (it stays pending there and dies with the thread).
struct Producer {
    ImageSource& source;
    const ResolvedImage& image;
    const Format& format;
    Pipe& pipe;
    std::atomic<bool> failed{false};
    std::exception_ptr error;

    void run(const CancelToken* cancel) {
        sigset_t pipe_signal;
        sigemptyset(&pipe_signal);
        sigaddset(&pipe_signal, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
        try {
            FdSink out(pipe.write_fd, "the conversion pipe", cancel);
            format.read(source, image, out);
            out.finish();
        } catch (...) {
            error = std::current_exception();
            failed.store(true); // before the close below, which the reader then sees as EOF
        }
        pipe.close_write();
    }
};

// build_image names its input in errors; the pipe's path means nothing to the user.
[[noreturn]] void rethrow_naming(const std::string& path, const std::string& name) {
    try {
        throw;
    } catch (const UsageError&) {
        throw;
    } catch (const Cancelled&) {
        throw;
    } catch (const Error& e) {
        std::string message = e.what();
        for (auto at = message.find(path); at != std::string::npos; at = message.find(path, at))
            message.replace(at, path.size(), name);
        throw Error(message);
    }
}

} // namespace

ConvertResult convert_image(const ConvertOptions& options, const Context& context) {
    find_format(options.build.format); // a bad name fails before anything is read
    auto source = decrypting_source(open_image_source(options.source, options.registry, context),
                                    options.decryption);
    auto image = resolve_image(*source);
    const Format& from = checkpoint_format(*source, image);
    const auto name = source->describe(); // the source belongs to the producer from here on
    Pipe pipe;
    Producer producer{*source, image, from, pipe, {}, {}};
    std::thread thread([&] { producer.run(context.cancel); });
    BuildOptions build = options.build;
    build.archive = "/dev/fd/" + std::to_string(pipe.read_fd);
    std::optional<ConvertResult> result;
    try {
        result = ConvertResult{name, from.name(), build_image(build, context)};
        pipe.drain();
    } catch (...) {
        bool producer_first = producer.failed.load();
        pipe.close_read(); // a producer still writing now gets EPIPE
        thread.join();
        if (producer_first) std::rethrow_exception(producer.error);
        rethrow_naming(build.archive, name);
    }
    thread.join();
    if (producer.error) std::rethrow_exception(producer.error);
    return std::move(*result);
}

nlohmann::json to_json(const ConvertResult& result) {
    auto json = to_json(result.build);
    json["source"] = result.source;
    json["sourceFormat"] = result.source_format;
    return json;
}

} // namespace ckimg
