// Test probes: a peer context that clobbers everything it may before each
// switch back, and a stack overflow run in a child process.
#define _GNU_SOURCE
#include "CUthread.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void kb_uctx_probe_clobber_switch(kb_uctx *save, const kb_uctx *load, const uint64_t junk[8]);

void kb_uctx_probe_peer(void *raw) {
    kb_uctx_probe_pair *pair = raw;
    for (;;) {
        pair->rounds++;
        kb_uctx_probe_clobber_switch(&pair->peer, &pair->probe, pair->junk);
    }
}

// Recursion that cannot be optimised into a loop: each frame keeps a page of
// its own live until the callee returns.
__attribute__((noinline)) static uint64_t kb_probe_recurse(uint64_t depth) {
    volatile uint8_t page[4096];
    page[0] = (uint8_t)depth;
    page[4095] = (uint8_t)depth;
    return kb_probe_recurse(depth + 1) + page[0] + page[4095];
}

static void kb_probe_overflow_entry(void *arg) {
    (void)arg;
    kb_probe_recurse(0);
    _exit(0);   // unreachable: the guard page stops the recursion
}

int32_t kb_uctx_probe_overflow_in_child(size_t stack_bytes, int32_t timeout_ms) {
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) {
        // The child: no Swift, no locks; the default action for SIGSEGV (a
        // handler inherited from the test runner would need a stack).
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        kb_ustack stack;
        if (kb_ustack_map(&stack, stack_bytes, 0, 16) != 0) _exit(3);
        kb_uctx self, uthread;
        kb_uctx_make(&uthread, stack.stack_top, kb_probe_overflow_entry, NULL);
        kb_uctx_switch(&self, &uthread);
        _exit(4);
    }
    struct timespec nap = { 0, 10 * 1000 * 1000 };
    for (int32_t waited = 0; ; waited += 10) {
        int status;
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid) return WIFSIGNALED(status) ? WTERMSIG(status) : 1000 + WEXITSTATUS(status);
        if (got < 0 && errno != EINTR) return -errno;
        if (waited >= timeout_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -ETIMEDOUT;
        }
        nanosleep(&nap, NULL);
    }
}
