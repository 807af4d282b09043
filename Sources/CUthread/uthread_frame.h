// Assembler macros shared by the switch and its test probes: the offsets of
// kb_uctx (CUthread.h; uthread_support.c asserts them at compile time), the
// save and load of a context, and the callee-saved registers of the x86-64
// System V ABI pushed and popped in one order (the probes' own frames).
#ifndef KBENCH_UTHREAD_FRAME_H
#define KBENCH_UTHREAD_FRAME_H
#ifdef __ASSEMBLER__

#define CTX_SP          0
#define CTX_RBX         8
#define CTX_RBP         16
#define CTX_R12         24
#define CTX_R13         32
#define CTX_R14         40
#define CTX_R15         48
#define CTX_FPU_CW      56
#define CTX_MXCSR       60
#define CTX_FS_BASE     64

// Stores the running context into the kb_uctx at \offset(\ctx): the stack
// pointer (at the return address the call into the switch pushed), rbx,
// rbp, r12-r15, the x87 control word and MXCSR.
.macro SAVE_CONTEXT ctx, offset=0
        movq    %rsp, \offset+CTX_SP(\ctx)
        movq    %rbx, \offset+CTX_RBX(\ctx)
        movq    %rbp, \offset+CTX_RBP(\ctx)
        movq    %r12, \offset+CTX_R12(\ctx)
        movq    %r13, \offset+CTX_R13(\ctx)
        movq    %r14, \offset+CTX_R14(\ctx)
        movq    %r15, \offset+CTX_R15(\ctx)
        fnstcw  \offset+CTX_FPU_CW(\ctx)
        stmxcsr \offset+CTX_MXCSR(\ctx)
.endm

// Loads everything but the stack pointer from the kb_uctx at \offset(\ctx)
// (rbx last, so \ctx may be %rbx) and returns into it by popping its
// return address and jumping there (not `ret`: uthread_switch.S says why):
// %rsp must already be its saved stack pointer. %rcx is free: caller-saved.
.macro RESUME_CONTEXT ctx, offset=0
        fldcw   \offset+CTX_FPU_CW(\ctx)
        ldmxcsr \offset+CTX_MXCSR(\ctx)
        movq    \offset+CTX_RBP(\ctx), %rbp
        movq    \offset+CTX_R12(\ctx), %r12
        movq    \offset+CTX_R13(\ctx), %r13
        movq    \offset+CTX_R14(\ctx), %r14
        movq    \offset+CTX_R15(\ctx), %r15
        movq    \offset+CTX_RBX(\ctx), %rbx
        popq    %rcx
        jmp     *%rcx
.endm

// Loads the whole kb_uctx at \offset(\ctx) and returns into it.
.macro LOAD_CONTEXT ctx, offset=0
        movq    \offset+CTX_SP(\ctx), %rsp
        RESUME_CONTEXT \ctx, \offset
.endm

// rbp, rbx, r12-r15 onto the stack (the probes' own frames).
.macro PUSH_CALLEE_SAVED
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
.endm

.macro POP_CALLEE_SAVED
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
.endm

// rbx, rbp, r12-r15 and the x87 control word / MXCSR from the probe layout
// at \base: regs[0..5], regs[6], regs[7].
.macro LOAD_PROBE_VALUES base
        fldcw   48(\base)
        ldmxcsr 56(\base)
        movq    0(\base), %rbx
        movq    8(\base), %rbp
        movq    16(\base), %r12
        movq    24(\base), %r13
        movq    32(\base), %r14
        movq    40(\base), %r15
.endm

#endif
#endif
