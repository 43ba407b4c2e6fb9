// One exception hierarchy for the whole library: every failure is an Error whose message is a
// single line saying what failed, on what input and, where it helps, what to do.
#pragma once

#include <stdexcept>
#include <string>

namespace ckimg {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The command line was wrong (exit status 2).
class UsageError : public Error {
public:
    using Error::Error;
};

// An input (archive, layout, manifest, reference) is malformed or hostile.
class InputError : public Error {
public:
    using Error::Error;
};

// Reading or writing local files failed.
class IoError : public Error {
public:
    using Error::Error;
};

// Talking to a registry failed; status is the HTTP status or 0 for a transport error.
class RegistryError : public Error {
public:
    RegistryError(const std::string& message, long status = 0) : Error(message), status_(status) {}
    long status() const { return status_; }

private:
    long status_;
};

// The operation was stopped (Ctrl-C, or another part of it failed) and cleaned up; the CLI exits
// with status 130.
class Cancelled : public Error {
public:
    Cancelled() : Error("interrupted") {}
    using Error::Error;
};

// Builds "what: detail" messages with errno text, for the many I/O call sites.
std::string errno_message(const std::string& what);

} // namespace ckimg
