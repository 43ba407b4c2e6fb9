/* memfill: the workload of tools/bench-migrate, a container process whose state can be checked
 * after a checkpoint and restore. Built static (gcc -static) so that it runs in a busybox image.
 *
 *   memfill SIZE_MIB [STATE_FILE]
 *
 * Fills SIZE_MIB of anonymous memory, every page written (so CRIU dumps every one) with the mix
 * tools/gen uses for its memory pages, roughly what CRIU dumps from a service: 45% zero pages,
 * 20% text (tokens of code, logs and config), 10% structured records (small integers, pointers,
 * flags), 25% random bytes. Then counts, one tick every 10 ms, and rewrites STATE_FILE (default
 * /state) on each tick with one line:
 *
 *   memfill id ID count N size SIZE_MIB
 *
 * ID is random, drawn once at start: the same ID after a restore proves that it is the same
 * process, and N carrying on from its value at the checkpoint proves that its memory came back.
 * On SIGUSR1 it re-hashes the whole fill and writes STATE_FILE.verify (temporary name, then
 * rename): "verify ID N ok" when the memory is what it wrote, "verify ID N BAD" otherwise.
 * SIGTERM exits at once (it is PID 1 of its container, which has no default action for it). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u

struct state {
    unsigned char* memory;
    size_t pages;
    uint64_t hash; /* of the fill, computed once after it */
    uint64_t id;
    const char* path;
};

static volatile sig_atomic_t verify_requested;

static void on_usr1(int sig) {
    (void)sig;
    verify_requested = 1;
}

static void on_term(int sig) {
    (void)sig;
    _exit(0);
}

static void die(const char* what) {
    fprintf(stderr, "memfill: %s: %s\n", what, strerror(errno));
    exit(1);
}

static uint64_t next(uint64_t* s) { /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static const char tokens[32][16] = {
    "int ",      "return ",   "if (",     "else ",      "counter",  "value=",    "request ",
    "response ", "handler",   "error: ",  "null",       "true",     "false",     "200 ",
    "404 ",      "GET /",     "POST /",   "/healthz ",  "INFO ",    "WARN ",     "level=",
    "msg=\"",    "time=",     "PATH=",    "/usr/lib/",  "libc.so.6", "malloc",   "pthread_",
    "namespace", "pod ",      "container ", "\n"};

static size_t token_length[32];

/* Five tokens from each random word; a page is built in a buffer with room for one token past
 * its end, so the loop needs no bounds checks. */
static void text_page(unsigned char* page, uint64_t* rng) {
    unsigned char buffer[PAGE + 16];
    size_t pos = 0;
    while (pos < PAGE) {
        uint64_t r = next(rng);
        for (int k = 0; k < 5 && pos < PAGE; ++k, r >>= 5) {
            memcpy(buffer + pos, tokens[r & 31], 16);
            pos += token_length[r & 31];
        }
    }
    memcpy(page, buffer, PAGE);
}

/* Records of a typical heap: an id, a small count, a pointer-like value, flags, padding. */
static void record_page(unsigned char* page, uint64_t* rng, uint64_t* serial) {
    for (size_t pos = 0; pos + 32 <= PAGE; pos += 32) {
        uint64_t r = next(rng);
        uint64_t rec[4] = {++*serial, r & 0xff, 0x00007f3c00000000ULL | ((r >> 8) & 0xfffff0),
                           (r >> 40) & 0x7};
        memcpy(page + pos, rec, sizeof rec);
    }
}

static void random_page(unsigned char* page, uint64_t* rng) {
    for (size_t pos = 0; pos < PAGE; pos += 8) {
        uint64_t w = next(rng);
        memcpy(page + pos, &w, 8);
    }
}

static void fill(struct state* s) {
    uint64_t rng = s->id | 1, serial = 0;
    for (int t = 0; t < 32; ++t) token_length[t] = strlen(tokens[t]);
    for (size_t i = 0; i < s->pages; ++i) {
        unsigned char* page = s->memory + (size_t)i * PAGE;
        unsigned kind = (unsigned)((next(&rng) >> 32) * 100 >> 32);
        if (kind < 45) {
            memset(page, 0, PAGE); /* written, so a real page (not the shared zero page) */
        } else if (kind < 65) {
            text_page(page, &rng);
        } else if (kind < 75) {
            record_page(page, &rng, &serial);
        } else {
            random_page(page, &rng);
        }
    }
}

/* Four independent lanes so that the hash runs at memory speed rather than multiply latency. */
static uint64_t hash_memory(const struct state* s) {
    uint64_t h[4] = {1, 2, 3, 4};
    const uint64_t* w = (const uint64_t*)s->memory;
    size_t words = s->pages * (PAGE / 8);
    for (size_t i = 0; i < words; i += 4) {
        for (int l = 0; l < 4; ++l) h[l] = (h[l] ^ w[i + l]) * 0x100000001B3ULL;
    }
    return h[0] ^ (h[1] << 1) ^ (h[2] << 2) ^ (h[3] << 3);
}

static void write_line(int fd, const char* line) {
    size_t n = strlen(line);
    if (pwrite(fd, line, n, 0) != (ssize_t)n) die("write");
    if (ftruncate(fd, (off_t)n) != 0) die("truncate");
}

static void write_verify(const struct state* s, uint64_t count) {
    char tmp[4096], final[4096], line[128];
    snprintf(final, sizeof final, "%s.verify", s->path);
    snprintf(tmp, sizeof tmp, "%s.verify.tmp", s->path);
    int ok = hash_memory(s) == s->hash;
    snprintf(line, sizeof line, "verify %016llx %llu %s\n", (unsigned long long)s->id,
             (unsigned long long)count, ok ? "ok" : "BAD");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die(tmp);
    write_line(fd, line);
    close(fd);
    if (rename(tmp, final) != 0) die(final);
}

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3 || atol(argv[1]) <= 0) {
        fprintf(stderr, "usage: memfill SIZE_MIB [STATE_FILE]\n");
        return 2;
    }
    struct state s = {0};
    s.path = argc == 3 ? argv[2] : "/state";
    size_t mib = (size_t)atol(argv[1]);
    s.pages = mib * (1024 * 1024 / PAGE);
    if (getrandom(&s.id, sizeof s.id, 0) != sizeof s.id) die("getrandom");
    s.memory = mmap(NULL, s.pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s.memory == MAP_FAILED) die("mmap");
    signal(SIGUSR1, on_usr1); /* a request during the fill is answered after it */
    signal(SIGTERM, on_term);
    fill(&s);
    s.hash = hash_memory(&s);
    int fd = open(s.path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) die(s.path);
    volatile uint64_t count = 0; /* the state the checks follow */
    const struct timespec tick = {0, 10 * 1000 * 1000};
    for (;;) {
        char line[128];
        snprintf(line, sizeof line, "memfill id %016llx count %llu size %zu\n",
                 (unsigned long long)s.id, (unsigned long long)count, mib);
        write_line(fd, line);
        if (verify_requested) {
            verify_requested = 0;
            write_verify(&s, count);
        }
        nanosleep(&tick, NULL);
        ++count;
    }
}
