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

/// A saved user context. Only the stack pointer is stored here: the switch
/// pushes the callee-saved registers (rbx, rbp, r12-r15), the x87 control word
/// and MXCSR onto the stack it leaves, and the instruction pointer is the
/// return address the call pushed. `fs_base` is the thread pointer the
/// FS-switching routines load when they switch *to* this context.
typedef struct kb_uctx {
    void *sp;
    uint64_t fs_base;
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
void kb_uctx_make(kb_uctx *ctx, void *stack_top, void (*entry)(void *), void *arg);

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

/// Forks; the child maps a stack of `stack_bytes` over a guard page and
/// recurses on it until it overflows. Returns the signal that ended the child
/// (SIGSEGV expected), 1000 + its exit status if it exited, or -errno
/// (-ETIMEDOUT, the child killed, after `timeout_ms`).
int32_t kb_uctx_probe_overflow_in_child(size_t stack_bytes, int32_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
