// warmapp: the demonstration app of examples/ci, a service with a real warm-up.
//
// `warmapp serve` spends its start-up building state in memory, as a service loading a model or
// filling a cache does: it generates WARM_MIB MiB of records (each value costs WARM_ROUNDS rounds
// of a mixing function, the stand-in for parsing or computing), sorts them into an index and
// takes a checksum of it. Then it writes DIR/ready and answers queries until stopped.
//
// Queries go through files in DIR so that no network is needed (`podman exec CTR warmapp query
// ...` works in any container): the client renames DIR/q.ID into place, the server answers in
// DIR/a.ID. Every answer carries the facts that tell a restored process from a cold start:
//   nonce     random, drawn once per process start: a restore keeps it, a cold start draws anew
//   warmups   how many times this process built its index: 1, also after any number of restores
//   warmup_ms how long that warm-up took; checksum: a digest of the index, recomputed by nobody
//   served    queries answered so far: a restore continues the count of the checkpointed process
//
// Static (gcc -static), no threads, no sockets, nothing CRIU cannot checkpoint.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct record {
    uint64_t key;
    uint64_t value;
};

struct state {
    struct record* index; // sorted by key
    size_t count;
    unsigned rounds;
    uint64_t checksum;
    uint64_t nonce;
    unsigned warmups;
    uint64_t warmup_ms;
    uint64_t served;
    int64_t started_unix;
};

static volatile sig_atomic_t stopping;

static void on_term(int sig) {
    (void)sig;
    stopping = 1;
}

static uint64_t mix(uint64_t x) { // splitmix64's finaliser
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t key_of(uint64_t i) { return mix(i ^ 0x5eedULL); }

static uint64_t value_of(uint64_t key, unsigned rounds) {
    uint64_t v = key;
    for (unsigned r = 0; r < rounds; ++r) v = mix(v + r);
    return v;
}

static uint64_t now_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void die(const char* what) {
    fprintf(stderr, "warmapp: %s: %s\n", what, strerror(errno));
    exit(1);
}

// LSD radix sort on the key, 8 bits a pass: the index is built in O(n), as a real loader's
// would be, and the warm-up time is the generation's, not qsort's.
static void sort_records(struct record* a, size_t n) {
    struct record* tmp = malloc(n * sizeof *tmp);
    if (!tmp) die("malloc");
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; ++i) ++count[((a[i].key >> shift) & 0xff) + 1];
        for (int b = 0; b < 256; ++b) count[b + 1] += count[b];
        for (size_t i = 0; i < n; ++i) tmp[count[(a[i].key >> shift) & 0xff]++] = a[i];
        struct record* swap = a;
        a = tmp;
        tmp = swap;
    }
    free(tmp); // 8 passes: the sorted data is back in the caller's array
}

static void warm_up(struct state* s, size_t mib) {
    uint64_t t0 = now_ms(CLOCK_MONOTONIC);
    s->count = mib * 1024 * 1024 / sizeof(struct record);
    s->index = malloc(s->count * sizeof(struct record));
    if (!s->index) die("malloc");
    for (size_t i = 0; i < s->count; ++i) {
        s->index[i].key = key_of(i);
        s->index[i].value = value_of(s->index[i].key, s->rounds);
    }
    sort_records(s->index, s->count);
    uint64_t sum = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < s->count; ++i) sum = mix(sum ^ s->index[i].key) ^ s->index[i].value;
    s->checksum = sum;
    s->warmups += 1;
    s->warmup_ms = now_ms(CLOCK_MONOTONIC) - t0;
}

static const struct record* lookup(const struct state* s, uint64_t key) {
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->index[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->count && s->index[lo].key == key ? &s->index[lo] : NULL;
}

// Written under a temporary name and renamed: a reader never sees half a file.
static int write_file(const char* dir, const char* name, const char* text) {
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE* f = fopen(tmp, "w");
    if (!f) return -1;
    fputs(text, f);
    if (fclose(f) != 0) return -1;
    return rename(tmp, path);
}

static void describe(const struct state* s, char* out, size_t size) {
    snprintf(out, size,
             "\"nonce\":\"%016" PRIx64 "\",\"warmups\":%u,\"warmup_ms\":%" PRIu64
             ",\"records\":%zu,\"state_mib\":%zu,\"rounds\":%u,\"checksum\":\"%016" PRIx64
             "\",\"served\":%" PRIu64 ",\"started_unix\":%" PRId64 ",\"pid\":%d",
             s->nonce, s->warmups, s->warmup_ms, s->count,
             s->count * sizeof(struct record) / (1024 * 1024), s->rounds, s->checksum, s->served,
             s->started_unix, (int)getpid());
}

// A query is "ping" or "get N" (the value of the N-th generated record, found in the index).
static void answer(struct state* s, const char* dir, const char* id, const char* query) {
    char facts[1024], text[2048], name[300];
    s->served += 1;
    describe(s, facts, sizeof facts);
    unsigned long long n;
    if (sscanf(query, "get %llu", &n) == 1) {
        const struct record* r = lookup(s, key_of(n));
        if (r)
            snprintf(text, sizeof text, "{%s,\"key\":\"%016" PRIx64 "\",\"value\":\"%016" PRIx64
                     "\"}\n", facts, r->key, r->value);
        else
            snprintf(text, sizeof text, "{%s,\"key\":null}\n", facts);
    } else {
        snprintf(text, sizeof text, "{%s}\n", facts);
    }
    snprintf(name, sizeof name, "a.%s", id);
    if (write_file(dir, name, text) != 0) fprintf(stderr, "warmapp: answer %s: %s\n", id, strerror(errno));
}

static void serve_queries(struct state* s, const char* dir) {
    DIR* d = opendir(dir);
    if (!d) die(dir);
    struct dirent* e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "q.", 2) != 0) continue;
        char path[4096], query[256] = {0};
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE* f = fopen(path, "r");
        if (!f) continue;
        if (!fgets(query, sizeof query, f)) query[0] = 0;
        fclose(f);
        unlink(path);
        answer(s, dir, e->d_name + 2, query);
    }
    closedir(d);
}

// The image may be FROM scratch, without even /tmp.
static int mkdir_p(const char* dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char* p = path + 1; *p; ++p) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int serve(size_t mib, unsigned rounds, const char* dir) {
    struct state s = {.rounds = rounds, .started_unix = (int64_t)time(NULL)};
    if (getrandom(&s.nonce, sizeof s.nonce, 0) != sizeof s.nonce) die("getrandom");
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    if (mkdir_p(dir) != 0) die(dir);
    char ready[4096];
    snprintf(ready, sizeof ready, "%s/ready", dir);
    unlink(ready); // a ready file left in the image by an earlier run proves nothing
    fprintf(stderr, "warmapp: warming up: %zu MiB of records, %u rounds each\n", mib, rounds);
    warm_up(&s, mib);
    char facts[1024], text[1100];
    describe(&s, facts, sizeof facts);
    snprintf(text, sizeof text, "{%s}\n", facts);
    if (write_file(dir, "ready", text) != 0) die(ready);
    fprintf(stderr, "warmapp: ready after %" PRIu64 " ms: %s", s.warmup_ms, text);
    const struct timespec tick = {0, 5 * 1000 * 1000};
    while (!stopping) {
        serve_queries(&s, dir);
        nanosleep(&tick, NULL);
    }
    return 0;
}

static int query(const char* dir, const char* text, double timeout_s, int print) {
    char id[64], name[80], path[4096];
    uint64_t salt;
    if (getrandom(&salt, sizeof salt, 0) != sizeof salt) die("getrandom");
    snprintf(id, sizeof id, "%d-%016" PRIx64, (int)getpid(), salt);
    snprintf(name, sizeof name, "q.%s", id);
    char line[300];
    snprintf(line, sizeof line, "%s\n", text);
    if (write_file(dir, name, line) != 0) {
        fprintf(stderr, "warmapp: cannot queue a query in %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/a.%s", dir, id);
    uint64_t deadline = now_ms(CLOCK_MONOTONIC) + (uint64_t)(timeout_s * 1000);
    const struct timespec tick = {0, 2 * 1000 * 1000};
    for (;;) {
        FILE* f = fopen(path, "r");
        if (f) {
            char buf[4096];
            size_t n = fread(buf, 1, sizeof buf, f);
            fclose(f);
            unlink(path);
            if (print) fwrite(buf, 1, n, stdout);
            return 0;
        }
        if (now_ms(CLOCK_MONOTONIC) > deadline) break;
        nanosleep(&tick, NULL);
    }
    char queued[4096];
    snprintf(queued, sizeof queued, "%s/q.%s", dir, id);
    unlink(queued);
    fprintf(stderr, "warmapp: no answer in %.1f s (not running or still warming up)\n", timeout_s);
    return 1;
}

static size_t env_number(const char* name, size_t fallback, size_t max) {
    const char* v = getenv(name);
    if (!v || !*v) return fallback;
    char* end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || n == 0 || n > max) {
        fprintf(stderr, "warmapp: %s=%s: expected a number from 1 to %zu\n", name, v, max);
        exit(2);
    }
    return (size_t)n;
}

static int usage(void) {
    fprintf(stderr,
            "usage: warmapp serve                 warm up, then answer queries (env WARM_MIB,\n"
            "                                     WARM_ROUNDS, WARM_DIR)\n"
            "       warmapp query [ping|get N]    ask the running server; prints its answer\n"
            "       warmapp ready                 exit 0 when the server answers\n");
    return 2;
}

int main(int argc, char** argv) {
    const char* env_dir = getenv("WARM_DIR");
    const char* dir = env_dir && *env_dir ? env_dir : "/tmp/warmapp";
    if (argc == 2 && strcmp(argv[1], "serve") == 0)
        return serve(env_number("WARM_MIB", 64, 65536),
                     (unsigned)env_number("WARM_ROUNDS", 16, 100000), dir);
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "query") == 0)
        return query(dir, argc == 3 ? argv[2] : "ping", 10.0, 1);
    if (argc == 2 && strcmp(argv[1], "ready") == 0) return query(dir, "ping", 2.0, 0);
    return usage();
}
