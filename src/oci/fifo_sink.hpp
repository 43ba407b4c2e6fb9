// An exported archive written into a FIFO that a restore reads as it downloads, rather than into
// a file that must be complete first. `podman container restore --import PATH` (Podman 5.4)
// opens PATH three times: twice for the container's configuration only (config.dump and
// spec.dump, everything else skipped), then once to unpack the whole archive. So the first
// `config_readers` readers get the archive's leading entries, up to and including config.dump
// and spec.dump, closed as a complete tar; the reader after them gets the whole archive, as it
// streams. Each reader gets a FIFO of its own: once a reader has opened the path, it is replaced
// by a new FIFO, so the next writer can never pair with a reader still draining the previous
// stream.
#pragma once

#include "oci/archive_file.hpp"

#include <ckimg/stream.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ckimg {

// True when `path` names an existing FIFO.
bool is_fifo(const std::filesystem::path& path);

class FifoSink : public ByteSink {
public:
    FifoSink(std::filesystem::path path, int config_readers, const CancelToken* cancel = nullptr);
    ~FifoSink() override;
    FifoSink(const FifoSink&) = delete;
    FifoSink& operator=(const FifoSink&) = delete;

    void write(const std::uint8_t* data, std::size_t size) override;
    void finish() override;
    std::uint64_t bytes() const { return bytes_; }

private:
    int open_reader();   // blocks until a reader opens the path, then gives the path a new FIFO
    void scan_headers(); // advances over the buffered prefix's tar entries
    void serve_prefix();
    std::filesystem::path path_;
    int config_readers_;
    const CancelToken* cancel_;
    unsigned mode_ = 0600;
    std::vector<std::uint8_t> prefix_; // the archive's start, until both config entries end
    std::uint64_t scanned_ = 0;        // offset of the next tar header in prefix_
    std::uint64_t config_end_ = 0;     // end of the later of config.dump and spec.dump
    int config_seen_ = 0;
    std::string long_name_; // a PAX or GNU long name for the next entry
    int fd_ = -1;
    std::unique_ptr<FdSink> out_;
    std::uint64_t bytes_ = 0;
};

} // namespace ckimg
