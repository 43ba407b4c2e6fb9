// Pipes and FIFOs between ckimg and Podman carry whole checkpoints. The kernel's default pipe
// holds 64 KiB, so writer and reader take turns every 64 KiB, each turn two wake-ups on two
// cores that are also compressing and hashing; a larger pipe lets each side run longer.
#pragma once

namespace ckimg {

// Makes the pipe or FIFO behind `fd` hold up to 1 MiB (less where /proc/sys/fs/pipe-max-size
// says so). Anything else, or a pipe the kernel will not widen, is left as it is: the size
// only changes how often the two sides wait for each other, never what they exchange.
void widen_pipe(int fd);

} // namespace ckimg
