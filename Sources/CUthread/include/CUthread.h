// CUthread: the few instructions a user-level context switch is, and what the
// switch needs from the machine (FS base writes, stacks, a TLS block).
//
// The switch is assembly (uthread_switch.S): Swift never runs on a half-switched
// stack or FS base, because the routines below change the stack pointer and the
// FS base together, between one Swift call and its return. Everything else here
// is set-up code (stacks, TLS templates, feature detection), never on a switch.
#ifndef KBENCH_CUTHREAD_H
#define KBENCH_CUTHREAD_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A saved user context: the stack pointer, the callee-saved registers (rbx,
/// rbp, r12-r15), the x87 control word and MXCSR in its first cache line,
/// stored by the switch that leaves a context and loaded by the one that
/// resumes it. The instruction pointer is the return address the call into
/// the switch pushed, at `sp`. `fs_base` is the thread pointer the
/// FS-switching routines load when they switch *to* this context.
typedef struct kb_uctx {
    void *sp;            // offset 0
    uint64_t rbx;        // offset 8
    uint64_t rbp;        // offset 16
    uint64_t r12;        // offset 24
    uint64_t r13;        // offset 32
    uint64_t r14;        // offset 40
    uint64_t r15;        // offset 48
    uint16_t fpu_cw;     // offset 56: x87 control word
    uint16_t reserved;
    uint32_t mxcsr;      // offset 60
    uint64_t fs_base;    // offset 64
} kb_uctx;

/// Saves the caller into `save` and resumes `load`. The FS base is untouched.
void kb_uctx_switch(kb_uctx *save, const kb_uctx *load);

/// As kb_uctx_switch, and loads `load->fs_base` with the wrfsbase instruction
/// (only where kb_fsgsbase_usable() says so: it faults otherwise).
void kb_uctx_switch_wrfsbase(kb_uctx *save, const kb_uctx *load);

/// As kb_uctx_switch, and loads `load->fs_base` with arch_prctl(ARCH_SET_FS),
/// a system call; a refused call stops the process (ud2) rather than run a
/// context with another context's TLS.
void kb_uctx_switch_arch_prctl(kb_uctx *save, const kb_uctx *load);

/// Makes `ctx` a fresh context that, when switched to, calls `entry(arg)` on
/// the stack that ends at `stack_top` (16-byte aligned), with the caller's
/// x87 control word and MXCSR. `entry` must never return (it switches away
/// for good); if it does, the process stops on ud2. `fs_base` is left as is.
/// Writes the three words under `stack_top` (the return address into the
/// trampoline, then zeros standing for "no caller").
void kb_uctx_make(kb_uctx *ctx, void *stack_top, void (*entry)(void *), void *arg);

// MARK: - Switch-to: the uthread and vcore words the assembly reads

/// The words of a vcore other threads touch, on a cache line of their own:
/// `notif_pending` (set by whoever posts an event, cleared by vcore context
/// before it drains the mailbox: the wakeup-waiting switch), the events
/// posted and not yet handled, `notif_disabled` (published for observers;
/// only the vcore writes it) and the stop request. Plain words, reached
/// through the atomic accessors below only, so C, assembly and Swift agree
/// on one layout.
typedef struct kb_vcore_events {
    uint32_t notif_pending;   // offset 0
    uint8_t notif_disabled;   // offset 4
    uint8_t stop;             // offset 5
    uint64_t posted;          // offset 8
} kb_vcore_events;

/// A vcore's part of `VcoreState` that switch-to reads and writes: its own
/// context (its kernel thread's stack and TLS, saved while a uthread runs),
/// the uthread it runs, what that uthread asked vcore context to do, and
/// the uthreads popped.
typedef struct kb_vcore_core {
    kb_uctx ctx;                          // offset 0
    struct kb_uthread_core *current;      // offset 72
    struct kb_uthread_core *hand_off_target; // offset 80
    uint64_t pops;                        // offset 88
    kb_vcore_events *events;              // offset 96
    uint8_t action;                       // offset 104: a KB_VCORE_ACTION_*
    uint8_t fs_mechanism;                 // offset 105: a KB_FS_*
} kb_vcore_core;

/// A uthread's part of `UthreadRecord` that the switch paths read and write,
/// laid out so that its first cache line holds what both a 2LS pop and a
/// switch-to need first: the queue link, the vcore and state words, and the
/// head of the saved context (its stack pointer and most registers). The
/// rest of the context is on the next line, whose address is known as soon
/// as the record's is, so the two are fetched in parallel, never one after
/// the other. `ctx.fs_base` is its TLS block's thread pointer, 0 without TLS
/// (it then runs with its vcore's FS base).
typedef struct kb_uthread_core {
    struct kb_uthread_core *run_next; // offset 0: the link of the queue it is on (Swift's `runNext`)
    kb_vcore_core *vcore;        // offset 8: running it, or that ran it last
    uint8_t state;               // offset 16: a KB_UTHREAD_*
    uint8_t has_tls;             // offset 17
    uint8_t checks;              // offset 18: its 2LS checks invariants (Swift reads it; the assembly does not)
    kb_uctx ctx;                 // offset 24
} kb_uthread_core;

/// A uthread's saved context.
static inline kb_uctx *kb_uthread_context(kb_uthread_core *uthread) { return &uthread->ctx; }

/// Uthread states (Swift's UthreadState raw values).
enum { KB_UTHREAD_RUNNABLE = 0, KB_UTHREAD_RUNNING = 1, KB_UTHREAD_BLOCKED = 2, KB_UTHREAD_EXITED = 3 };
/// What a uthread asked vcore context for (Swift's VcoreAction raw values).
enum { KB_VCORE_ACTION_NONE = 0, KB_VCORE_ACTION_REQUEUE = 1, KB_VCORE_ACTION_BLOCK = 2,
       KB_VCORE_ACTION_HAND_OFF = 3, KB_VCORE_ACTION_EXIT = 4 };
/// How the FS base is loaded (Swift's FSBaseMechanism).
enum { KB_FS_WRFSBASE = 0, KB_FS_ARCH_PRCTL = 1 };

/// Switch-to, whole, in assembly: the running uthread `self` passes its
/// vcore straight to `next` (blocked), without the 2LS. In order:
/// notif_disabled = 1 and a check of notif_pending (set: hand off through
/// vcore context, which handles the events and then pops `next`); the
/// bookkeeping (next->vcore, vcore->current, vcore->pops, next running);
/// the switch of stack and, when either has TLS, FS base (by
/// vcore->fs_mechanism; 0 means the vcore's); `self` marked blocked only
/// once its context is saved and the stack left; then, for `next`,
/// notif_disabled = 0 and notif_pending checked again (set: into vcore
/// context, handing off to `next` itself, so the events are handled before
/// it runs). Returns when something resumes `self`; whoever resumes a
/// uthread checks notif_pending on its behalf.
void kb_uthread_switch_to(kb_uthread_core *self, kb_uthread_core *next);

/// The atomic accesses Swift makes to a vcore's event words (each names its
/// ordering; inlined into the Swift callers).
static inline uint32_t kb_vcore_notif_pending_load_acquire(kb_vcore_events *e) {
    return __atomic_load_n(&e->notif_pending, __ATOMIC_ACQUIRE);
}
static inline uint32_t kb_vcore_notif_pending_load_relaxed(kb_vcore_events *e) {
    return __atomic_load_n(&e->notif_pending, __ATOMIC_RELAXED);
}
static inline void kb_vcore_notif_pending_store_release(kb_vcore_events *e, uint32_t value) {
    __atomic_store_n(&e->notif_pending, value, __ATOMIC_RELEASE);
}
static inline uint32_t kb_vcore_notif_pending_exchange_acquire(kb_vcore_events *e, uint32_t value) {
    return __atomic_exchange_n(&e->notif_pending, value, __ATOMIC_ACQUIRE);
}
static inline void kb_vcore_notif_disabled_store_relaxed(kb_vcore_events *e, uint8_t value) {
    __atomic_store_n(&e->notif_disabled, value, __ATOMIC_RELAXED);
}
static inline uint8_t kb_vcore_notif_disabled_load_relaxed(kb_vcore_events *e) {
    return __atomic_load_n(&e->notif_disabled, __ATOMIC_RELAXED);
}
static inline void kb_vcore_posted_add_release(kb_vcore_events *e, uint64_t count) {
    __atomic_fetch_add(&e->posted, count, __ATOMIC_RELEASE);
}
static inline uint64_t kb_vcore_posted_exchange_acquire(kb_vcore_events *e, uint64_t value) {
    return __atomic_exchange_n(&e->posted, value, __ATOMIC_ACQUIRE);
}
static inline void kb_vcore_stop_store_relaxed(kb_vcore_events *e, uint8_t value) {
    __atomic_store_n(&e->stop, value, __ATOMIC_RELAXED);
}
static inline uint8_t kb_vcore_stop_load_relaxed(kb_vcore_events *e) {
    return __atomic_load_n(&e->stop, __ATOMIC_RELAXED);
}

/// A futex word's atomic accesses (the blocking-call workers' mailboxes).
static inline uint32_t kb_word_load_acquire(uint32_t *word) {
    return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}
static inline void kb_word_store_release(uint32_t *word, uint32_t value) {
    __atomic_store_n(word, value, __ATOMIC_RELEASE);
}

// MARK: - FS base

/// 1 when user space may use rdfsbase/wrfsbase: CPUID.(EAX=7,ECX=0):EBX bit 0
/// says the CPU has them and getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE says the
/// kernel enabled them; 0 otherwise.
int32_t kb_fsgsbase_usable(void);
/// The CPUID and HWCAP2 halves of that answer, for meta.json.
int32_t kb_fsgsbase_cpuid(void);
int32_t kb_fsgsbase_hwcap2(void);

/// The caller's thread pointer (%fs:0, glibc's tcbhead_t.tcb: the FS base).
uint64_t kb_thread_pointer(void);

/// The FS base written by wrfsbase / by arch_prctl(ARCH_SET_FS); 0 or -errno.
/// Measured by the ctxbench references; not used by the switch.
void kb_fs_base_write_instruction(uint64_t base);
int32_t kb_fs_base_write_syscall(uint64_t base);
/// rdfsbase (only where kb_fsgsbase_usable()).
uint64_t kb_fs_base_read_instruction(void);

// MARK: - Stacks

/// A uthread's memory: one mapping, lowest page PROT_NONE (the guard that turns
/// an overflow into SIGSEGV), then the stack, then (optionally) the TLS block
/// at the top.
typedef struct kb_ustack {
    void *base;        // the mapping (the guard page)
    size_t length;     // whole mapping, bytes
    void *stack_top;   // 16-byte aligned; the stack grows down from here
    void *tls_block;   // NULL without TLS
} kb_ustack;

/// Maps a stack of `stack_bytes` (a multiple of the page size) above one guard
/// page, plus `tls_bytes` aligned to `tls_align` above the stack. 0 or -errno.
int32_t kb_ustack_map(kb_ustack *stack, size_t stack_bytes, size_t tls_bytes, size_t tls_align);
/// Unmaps it. 0 or -errno.
int32_t kb_ustack_unmap(kb_ustack *stack);

/// Sets glibc's default stack size for threads made from now on
/// (pthread_setattr_default_np); returns the previous one, 0 on failure.
size_t kb_thread_stack_default_set(size_t bytes);

// MARK: - TLS blocks

/// A template for uthread TLS blocks, made on a vcore's thread from that
/// thread's own block (x86-64 variant II: static TLS below the thread
/// pointer, glibc's TCB, struct pthread, at and above it).
///
/// - The TCB (struct pthread: tid, dtv, stack guard at %fs:0x28, pointer guard,
///   pthread keys, rseq area) is copied from the vcore, so glibc's per-thread
///   state stays the vcore's; the copy's `tcb` and `self` words point at the
///   new block, so %fs-relative and THREAD_SELF-relative reads agree.
/// - libc's own static TLS (errno, malloc's tcache and arena pointers, locale)
///   is copied too: the tcache it points to is the vcore's, used only by
///   that kernel thread, one uthread at a time.
/// - Every other module's static TLS (the program's, the Swift runtime's,
///   libstdc++'s) starts from its initial image, as in a new thread: those
///   variables are per uthread. Each block has its own dtv, whose static
///   slots name the block's copies, so code reaching TLS through
///   __tls_get_addr sees the same copy as code reading %fs directly; the
///   slots of dlopen()ed modules (dynamic TLS) still name the vcore's.
/// Hence a block is valid only on the vcore that made the template.
typedef struct kb_tls_template {
    uint8_t *image;       // below + above bytes
    void *dtv_image;      // the vcore's dtv, static modules' slots as offsets
    uint8_t *dtv_rebase;  // per dtv slot: 1 when it holds such an offset
    size_t dtv_slots;
    size_t below;         // bytes under the thread pointer (static TLS), a multiple of align
    size_t above;         // bytes from the thread pointer up (the TCB)
    size_t align;         // alignment of the thread pointer
    int32_t fresh_modules;   // modules given their initial image
    int32_t copied_modules;  // modules copied from the vcore (libc)
} kb_tls_template;

/// Builds `t` from the calling thread's TLS. The thread must have been made
/// by pthread_create (its TCB is at the top of its stack mapping, which bounds
/// what is copied); -ENOTSUP on the main thread, -ERANGE when the layout is
/// not the one described above, -ENOMEM.
int32_t kb_tls_template_build(kb_tls_template *t);
void kb_tls_template_free(kb_tls_template *t);
/// Fills `block` (t->below + t->above bytes, aligned to t->align) from the
/// template, gives it its own dtv (so __tls_get_addr finds the block's copy
/// of every static module, as %fs-relative code does), and returns its
/// thread pointer, the FS base to load; 0 when the dtv cannot be allocated.
uint64_t kb_tls_block_init(const kb_tls_template *t, void *block);
/// Frees the dtv of the block whose thread pointer is `thread_pointer`.
void kb_tls_block_release(uint64_t thread_pointer);

/// A thread-local variable of this module (static TLS of the program), so
/// tests can see which TLS block is loaded.
uint64_t kb_tls_probe_get(void);
void kb_tls_probe_set(uint64_t value);

// MARK: - Test probes (uthread_probe.S, uthread_probe.c)

/// Sets rbx, rbp, r12-r15 to regs[0..5], the x87 control word to regs[6] and
/// MXCSR to regs[7], calls kb_uctx_switch(save, load), and when resumed
/// writes what it finds back into regs[0..7], and regs[8] = 1 when the stack
/// pointer is the one it left with. Restores its caller's state on return.
void kb_uctx_probe_switch(kb_uctx *save, const kb_uctx *load, uint64_t regs[9]);

/// A probe and the peer it switches to. The peer (kb_uctx_probe_peer, made
/// with the pair as its argument) fills every callee-saved register and the
/// FP control words with `junk` (same layout) before each switch back.
typedef struct kb_uctx_probe_pair {
    kb_uctx probe;
    kb_uctx peer;
    uint64_t junk[8];
    uint64_t rounds;
} kb_uctx_probe_pair;
void kb_uctx_probe_peer(void *pair);

/// The same probe through kb_uthread_switch_to(self, next).
void kb_uthread_probe_switch_to(kb_uthread_core *self, kb_uthread_core *next, uint64_t regs[9]);

/// A harness for kb_uthread_switch_to without a scheduler: the caller is
/// the uthread `probe` (running on `vcore`), `peer` a fresh uthread
/// (kb_uthread_probe_peer, made with the harness as its argument) that
/// clobbers every callee-saved register and FP control word with `junk`
/// and switches back, and the vcore's context kb_uthread_probe_vcore,
/// which the slow paths enter: it checks the hand-off, handles the events
/// (clobbering registers too) and pops the target as vcore context does.
typedef struct kb_uthread_probe_harness {
    kb_uthread_core probe;
    kb_uthread_core peer;
    kb_vcore_core vcore;
    kb_vcore_events events;
    uint64_t junk[8];
    uint64_t rounds;           // rounds the peer made
    uint64_t peer_posts_mask;  // the peer posts an event before switching back on round r when bit r%64 is set
    uint64_t events_handled;   // by the vcore context
    uint64_t vcore_entries;    // hand-offs the vcore context saw
    uint64_t late_hand_offs;   // of which the event came during the switch (target == current)
    uint64_t bad_hand_offs;    // entries with another action, no target, or a current not running
    uint64_t ran_with_pending; // times the peer ran with an unhandled event (must stay 0)
} kb_uthread_probe_harness;
/// Sets up `h` (junk, masks and counters zero): probe running on the vcore,
/// peer blocked on `peer_stack_top`, the vcore context on
/// `vcore_stack_top`; the peer has TLS when `peer_tls` (its FS base is the
/// caller's thread pointer, so the FS-loading path runs with a valid one),
/// loaded by `fs_mechanism` (KB_FS_*).
void kb_uthread_probe_harness_init(kb_uthread_probe_harness *h, void *peer_stack_top, void *vcore_stack_top,
                                   int32_t peer_tls, int32_t fs_mechanism);
void kb_uthread_probe_peer(void *harness);

/// Forks; the child maps a stack of `stack_bytes` over a guard page and
/// recurses on it until it overflows. Returns the signal that ended the child
/// (SIGSEGV expected), 1000 + its exit status if it exited, or -errno
/// (-ETIMEDOUT, the child killed, after `timeout_ms`).
int32_t kb_uctx_probe_overflow_in_child(size_t stack_bytes, int32_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
