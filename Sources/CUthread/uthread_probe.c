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
void kb_uthread_probe_clobber_switch_to(kb_uthread_core *self, kb_uthread_core *next, const uint64_t junk[8]);

void kb_uctx_probe_peer(void *raw) {
    kb_uctx_probe_pair *pair = raw;
    for (;;) {
        pair->rounds++;
        kb_uctx_probe_clobber_switch(&pair->peer, &pair->probe, pair->junk);
    }
}

// MARK: - kb_uthread_switch_to harness

void kb_uthread_probe_peer(void *raw) {
    kb_uthread_probe_harness *h = raw;
    for (;;) {
        h->rounds++;
        if (__atomic_load_n(&h->events.notif_pending, __ATOMIC_ACQUIRE) != 0) h->ran_with_pending++;
        if (h->peer_posts_mask & (1ull << (h->rounds % 64))) {
            kb_vcore_posted_add_release(&h->events, 1);
            kb_vcore_notif_pending_store_release(&h->events, 1);
        }
        kb_uthread_probe_clobber_switch_to(&h->peer, &h->probe, h->junk);
    }
}

// The vcore context of the harness: entered only by switch-to's slow paths.
// It does what VcoreContext.run does for a hand-off: the uthread that
// dropped in is blocked, the events are handled, the target popped.
static void kb_uthread_probe_vcore(void *raw) {
    kb_uthread_probe_harness *h = raw;
    for (;;) {
        h->vcore_entries++;
        kb_uthread_core *from = h->vcore.current, *target = h->vcore.hand_off_target;
        if (h->vcore.action != KB_VCORE_ACTION_HAND_OFF || target == NULL || from == NULL
            || from->state != KB_UTHREAD_RUNNING || kb_vcore_notif_disabled_load_relaxed(&h->events) != 1) {
            h->bad_hand_offs++;
        }
        if (target == from) h->late_hand_offs++;
        from->state = KB_UTHREAD_BLOCKED;
        kb_vcore_notif_pending_exchange_acquire(&h->events, 0);
        h->events_handled += kb_vcore_posted_exchange_acquire(&h->events, 0);
        h->vcore.action = KB_VCORE_ACTION_NONE;
        h->vcore.hand_off_target = NULL;
        target->state = KB_UTHREAD_RUNNING;
        target->vcore = &h->vcore;
        h->vcore.current = target;
        h->vcore.pops++;
        kb_vcore_notif_disabled_store_relaxed(&h->events, 0);
        // Into the target with junk in every callee-saved register and FP
        // control word, as any vcore code might leave them.
        kb_uctx_probe_clobber_switch(&h->vcore.ctx, &target->ctx, h->junk);
    }
}

void kb_uthread_probe_harness_init(kb_uthread_probe_harness *h, void *peer_stack_top, void *vcore_stack_top,
                                   int32_t peer_tls, int32_t fs_mechanism) {
    memset(h, 0, sizeof *h);
    h->events.notif_disabled = 0;
    h->vcore.events = &h->events;
    h->vcore.fs_mechanism = (uint8_t)fs_mechanism;
    h->vcore.ctx.fs_base = kb_thread_pointer();
    h->vcore.current = &h->probe;
    h->probe.vcore = &h->vcore;
    h->probe.state = KB_UTHREAD_RUNNING;
    h->peer.state = KB_UTHREAD_BLOCKED;
    if (peer_tls) {
        h->peer.has_tls = 1;
        h->peer.ctx.fs_base = kb_thread_pointer();
    }
    kb_uctx_make(&h->peer.ctx, peer_stack_top, kb_uthread_probe_peer, h);
    kb_uctx_make(&h->vcore.ctx, vcore_stack_top, kb_uthread_probe_vcore, h);
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
