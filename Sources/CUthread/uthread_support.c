// Set-up code for uthreads: fresh contexts, FS-base feature detection and
// writes, guarded stacks, TLS templates. None of this runs on a switch.
#define _GNU_SOURCE
#include "CUthread.h"

#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/prctl.h>

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

extern void kb_uctx_trampoline(void);

// The offsets uthread_frame.h and uthread_switch.S use.
_Static_assert(offsetof(kb_uctx, sp) == 0 && offsetof(kb_uctx, rbx) == 8 && offsetof(kb_uctx, rbp) == 16
               && offsetof(kb_uctx, r12) == 24 && offsetof(kb_uctx, r13) == 32 && offsetof(kb_uctx, r14) == 40
               && offsetof(kb_uctx, r15) == 48 && offsetof(kb_uctx, fpu_cw) == 56 && offsetof(kb_uctx, mxcsr) == 60
               && offsetof(kb_uctx, fs_base) == 64, "kb_uctx layout");
_Static_assert(offsetof(kb_uthread_core, run_next) == 0 && offsetof(kb_uthread_core, vcore) == 8
               && offsetof(kb_uthread_core, state) == 16 && offsetof(kb_uthread_core, has_tls) == 17
               && offsetof(kb_uthread_core, ctx) == 24, "kb_uthread_core layout");
_Static_assert(offsetof(kb_vcore_core, ctx) == 0 && offsetof(kb_vcore_core, current) == 72
               && offsetof(kb_vcore_core, hand_off_target) == 80 && offsetof(kb_vcore_core, pops) == 88
               && offsetof(kb_vcore_core, events) == 96 && offsetof(kb_vcore_core, action) == 104
               && offsetof(kb_vcore_core, fs_mechanism) == 105, "kb_vcore_core layout");
_Static_assert(offsetof(kb_vcore_events, notif_pending) == 0 && offsetof(kb_vcore_events, notif_disabled) == 4,
               "kb_vcore_events layout");
_Static_assert(KB_UTHREAD_RUNNING == 1 && KB_UTHREAD_BLOCKED == 2 && KB_VCORE_ACTION_HAND_OFF == 3
               && KB_FS_WRFSBASE == 0, "constants of uthread_switch.S");

void kb_uctx_make(kb_uctx *ctx, void *stack_top, void (*entry)(void *), void *arg) {
    // The first switch to it loads these registers and returns into the
    // trampoline, which then starts with %rsp 16-byte aligned (top - 16),
    // under a zero word standing for "no caller".
    uint64_t *top = (uint64_t *)((uintptr_t)stack_top & ~(uintptr_t)15);
    uint64_t *sp = top - 3;
    sp[0] = (uint64_t)(uintptr_t)kb_uctx_trampoline;
    sp[1] = 0;
    sp[2] = 0;
    uint64_t fs_base = ctx->fs_base;
    memset(ctx, 0, sizeof *ctx);
    ctx->sp = sp;
    ctx->r12 = (uint64_t)(uintptr_t)entry;
    ctx->r13 = (uint64_t)(uintptr_t)arg;
    ctx->fs_base = fs_base;
    __asm__ __volatile__("fnstcw %0\n\tstmxcsr %1" : "=m"(ctx->fpu_cw), "=m"(ctx->mxcsr));
}

// MARK: - FS base

int32_t kb_fsgsbase_cpuid(void) {
    uint32_t a, b, c, d;
    __asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    if (a < 7) return 0;
    __asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    return (b & 1u) ? 1 : 0;
}

int32_t kb_fsgsbase_hwcap2(void) {
    return (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) ? 1 : 0;
}

int32_t kb_fsgsbase_usable(void) {
    return kb_fsgsbase_cpuid() && kb_fsgsbase_hwcap2();
}

uint64_t kb_thread_pointer(void) {
    uint64_t tp;
    __asm__ __volatile__("movq %%fs:0, %0" : "=r"(tp));
    return tp;
}

void kb_fs_base_write_instruction(uint64_t base) {
    __asm__ __volatile__("wrfsbase %0" :: "r"(base) : "memory");
}

uint64_t kb_fs_base_read_instruction(void) {
    uint64_t base;
    __asm__ __volatile__("rdfsbase %0" : "=r"(base) :: "memory");
    return base;
}

int32_t kb_fs_base_write_syscall(uint64_t base) {
    long rc = syscall(SYS_arch_prctl, ARCH_SET_FS, base);
    return rc == 0 ? 0 : -errno;
}

// MARK: - Stacks

int32_t kb_ustack_map(kb_ustack *stack, size_t stack_bytes, size_t tls_bytes, size_t tls_align) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (stack_bytes < page || stack_bytes % page != 0) return -EINVAL;
    if (tls_align < 16) tls_align = 16;
    if (tls_align & (tls_align - 1)) return -EINVAL;
    size_t tls_room = tls_bytes ? ((tls_bytes + tls_align - 1) & ~(tls_align - 1)) + tls_align : 0;
    size_t upper = (stack_bytes + tls_room + page - 1) & ~(page - 1);
    if (upper < stack_bytes) return -EOVERFLOW;
    size_t length = page + upper;
    void *base = mmap(NULL, length, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) return -errno;
    if (mprotect(base, page, PROT_NONE) != 0) {
        int e = errno;
        munmap(base, length);
        return -e;
    }
    uintptr_t end = (uintptr_t)base + length;
    stack->base = base;
    stack->length = length;
    if (tls_bytes) {
        uintptr_t block = (end - tls_bytes) & ~(uintptr_t)(tls_align - 1);
        stack->tls_block = (void *)block;
        stack->stack_top = (void *)(block & ~(uintptr_t)15);
    } else {
        stack->tls_block = NULL;
        stack->stack_top = (void *)(end & ~(uintptr_t)15);
    }
    return 0;
}

int32_t kb_ustack_unmap(kb_ustack *stack) {
    if (!stack->base) return 0;
    if (munmap(stack->base, stack->length) != 0) return -errno;
    stack->base = NULL;
    return 0;
}

size_t kb_thread_stack_default_set(size_t bytes) {
    pthread_attr_t attr;
    size_t old = 0;
    if (pthread_getattr_default_np(&attr) != 0) return 0;
    if (pthread_attr_getstacksize(&attr, &old) != 0 || pthread_attr_setstacksize(&attr, bytes) != 0
        || pthread_setattr_default_np(&attr) != 0) old = 0;
    pthread_attr_destroy(&attr);
    return old;
}

// MARK: - TLS templates

enum { kb_max_tls_modules = 64 };

struct kb_tls_module {
    uintptr_t data;      // this thread's block for the module
    const void *init;    // initial image (.tdata)
    size_t filesz, memsz, align, modid;
    int is_libc;
};

struct kb_tls_scan {
    struct kb_tls_module modules[kb_max_tls_modules];
    int count;
    int overflow;
};

// glibc's dtv_t: slot -1 holds the slot count, slot 0 the generation, slot
// i the block of module i.
typedef union {
    size_t counter;
    struct { void *val; void *to_free; } pointer;
} kb_dtv_slot;

static int kb_tls_scan_module(struct dl_phdr_info *info, size_t size, void *raw) {
    (void)size;
    struct kb_tls_scan *scan = raw;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_TLS || ph->p_memsz == 0) continue;
        // Not yet allocated for this thread: a dlopen()ed module's dynamic
        // TLS, reached through the dtv, not through the static block.
        if (info->dlpi_tls_data == NULL) continue;
        if (scan->count == kb_max_tls_modules) { scan->overflow = 1; return 1; }
        struct kb_tls_module *m = &scan->modules[scan->count++];
        m->data = (uintptr_t)info->dlpi_tls_data;
        m->init = (const void *)(info->dlpi_addr + ph->p_vaddr);
        m->filesz = ph->p_filesz;
        m->memsz = ph->p_memsz;
        m->align = ph->p_align ? ph->p_align : 1;
        m->modid = info->dlpi_tls_modid;
        const char *name = info->dlpi_name ? info->dlpi_name : "";
        const char *slash = strrchr(name, '/');
        const char *base = slash ? slash + 1 : name;
        m->is_libc = strncmp(base, "libc.so", 7) == 0;
    }
    return 0;
}

int32_t kb_tls_template_build(kb_tls_template *t) {
    memset(t, 0, sizeof *t);
    if (getpid() == (pid_t)syscall(SYS_gettid)) return -ENOTSUP;
    uintptr_t tp = (uintptr_t)kb_thread_pointer();
    const uint64_t *tcb = (const uint64_t *)tp;
    // tcbhead_t as glibc lays it out on x86-64: tcb, dtv, self.
    if (tcb[0] != tp || tcb[2] != tp) return -ERANGE;
    const kb_dtv_slot *dtv = (const kb_dtv_slot *)(uintptr_t)tcb[1];
    if (!dtv) return -ERANGE;
    size_t slots = dtv[-1].counter;
    if (slots == 0 || slots > 1u << 16) return -ERANGE;

    // The TCB runs from the thread pointer to the end of the thread's stack
    // mapping (glibc puts struct pthread at the top of it).
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return -ENOTSUP;
    void *stack_addr = NULL;
    size_t stack_size = 0;
    int rc = pthread_attr_getstack(&attr, &stack_addr, &stack_size);
    pthread_attr_destroy(&attr);
    if (rc != 0) return -ENOTSUP;
    uintptr_t top = (uintptr_t)stack_addr + stack_size;
    if (top <= tp || top - tp < 0x40 || top - tp > 65536) return -ERANGE;
    size_t above = top - tp;

    struct kb_tls_scan *scan = calloc(1, sizeof *scan);
    if (!scan) return -ENOMEM;
    dl_iterate_phdr(kb_tls_scan_module, scan);
    int32_t error = 0;
    size_t below = 0, align = 64;
    if (scan->overflow) error = -ERANGE;
    for (int i = 0; i < scan->count && !error; i++) {
        struct kb_tls_module *m = &scan->modules[i];
        // Variant II: every static block lies wholly under the thread
        // pointer, and the dtv names it (the layout this code assumes).
        if (m->data >= tp || m->data + m->memsz > tp || m->modid == 0 || m->modid > slots
            || (uintptr_t)dtv[m->modid].pointer.val != m->data) { error = -ERANGE; break; }
        if (tp - m->data > below) below = tp - m->data;
        if (m->align > align) align = m->align;
    }
    if (!error && (align > 4096 || (align & (align - 1)))) error = -ERANGE;
    below = (below + align - 1) & ~(align - 1);
    if (!error && below > tp - (uintptr_t)stack_addr) error = -ERANGE;
    if (error) { free(scan); return error; }

    size_t dtv_bytes = (slots + 2) * sizeof(kb_dtv_slot);
    uint8_t *image = aligned_alloc(align, (below + above + align - 1) & ~(align - 1));
    kb_dtv_slot *dtv_image = malloc(dtv_bytes);
    if (!image || !dtv_image) { free(image); free(dtv_image); free(scan); return -ENOMEM; }
    memcpy(image, (const void *)(tp - below), below + above);
    memcpy(dtv_image, dtv - 1, dtv_bytes);
    int fresh = 0, copied = 0;
    for (int i = 0; i < scan->count; i++) {
        struct kb_tls_module *m = &scan->modules[i];
        size_t offset = tp - m->data;
        // The block's dtv names the block's own copy of the module (offset
        // from the thread pointer; kb_tls_block_init rebases it).
        dtv_image[1 + m->modid].pointer.val = (void *)(uintptr_t)offset;
        dtv_image[1 + m->modid].pointer.to_free = NULL;
        if (m->is_libc) { copied++; continue; }
        uint8_t *dst = image + below - offset;
        memcpy(dst, m->init, m->filesz);
        memset(dst + m->filesz, 0, m->memsz - m->filesz);
        fresh++;
    }
    // Which slots hold an offset to rebase: the static modules'.
    uint8_t *rebase = calloc(slots + 2, 1);
    if (!rebase) { free(image); free(dtv_image); free(scan); return -ENOMEM; }
    for (int i = 0; i < scan->count; i++) rebase[1 + scan->modules[i].modid] = 1;
    free(scan);
    t->image = image;
    t->dtv_image = dtv_image;
    t->dtv_rebase = rebase;
    t->dtv_slots = slots;
    t->below = below;
    t->above = above;
    t->align = align;
    t->fresh_modules = fresh;
    t->copied_modules = copied;
    return 0;
}

void kb_tls_template_free(kb_tls_template *t) {
    free(t->image);
    free(t->dtv_image);
    free(t->dtv_rebase);
    t->image = NULL;
    t->dtv_image = NULL;
    t->dtv_rebase = NULL;
}

uint64_t kb_tls_block_init(const kb_tls_template *t, void *block) {
    size_t dtv_bytes = (t->dtv_slots + 2) * sizeof(kb_dtv_slot);
    // malloc'ed with glibc's layout, so glibc may realloc it (from slot -1)
    // when a later dlopen() grows the dtv.
    kb_dtv_slot *dtv = malloc(dtv_bytes);
    if (!dtv) return 0;
    memcpy(dtv, t->dtv_image, dtv_bytes);
    memcpy(block, t->image, t->below + t->above);
    uint64_t tp = (uint64_t)(uintptr_t)block + t->below;
    for (size_t i = 1; i < t->dtv_slots + 2; i++) {
        if (t->dtv_rebase[i]) dtv[i].pointer.val = (void *)(uintptr_t)(tp - (uintptr_t)dtv[i].pointer.val);
    }
    // tcbhead_t: tcb (what %fs:0 reads), dtv, self (THREAD_SELF).
    uint64_t *tcb = (uint64_t *)(uintptr_t)tp;
    tcb[0] = tp;
    tcb[1] = (uint64_t)(uintptr_t)(dtv + 1);
    tcb[2] = tp;
    return tp;
}

void kb_tls_block_release(uint64_t thread_pointer) {
    if (!thread_pointer) return;
    uint64_t *tcb = (uint64_t *)(uintptr_t)thread_pointer;
    kb_dtv_slot *dtv = (kb_dtv_slot *)(uintptr_t)tcb[1];
    if (dtv) free(dtv - 1);
    tcb[1] = 0;
}

// MARK: - Probe

static __thread uint64_t kb_tls_probe;

uint64_t kb_tls_probe_get(void) { return kb_tls_probe; }
void kb_tls_probe_set(uint64_t value) { kb_tls_probe = value; }
