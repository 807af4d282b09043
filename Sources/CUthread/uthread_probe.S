// Test probes for the switch: they set every callee-saved register and the
// FP control words to chosen values, switch away and back, and report what
// came back, which C or Swift cannot do (the compiler owns the registers).

#include "uthread_frame.h"

        .text

// PROBE_SWITCH name, switch: defines
// void name(void *save, void *load, uint64_t regs[9]), which calls
// switch(save, load) (kb_uctx_switch or kb_uthread_switch_to).
// In:  regs[0..5] = rbx, rbp, r12, r13, r14, r15; regs[6] = x87 control
//      word; regs[7] = MXCSR.
// Out: regs[0..7] as found after the switch came back; regs[8] = 1 when
//      the stack pointer came back unchanged. The caller's registers and FP
//      control state are restored before returning.
.macro PROBE_SWITCH name, switch
        .globl  \name
        .type   \name, @function
        .p2align 4
\name:
        .cfi_startproc
        PUSH_CALLEE_SAVED
        pushq   %rdx                    // regs
        subq    $16, %rsp
        fnstcw  (%rsp)                  // the caller's FP control, restored at the end
        stmxcsr 4(%rsp)
        movq    %rsp, 8(%rsp)           // the stack pointer, compared afterwards
        LOAD_PROBE_VALUES %rdx
        call    \switch
        movq    16(%rsp), %rax          // regs
        movq    %rbx, 0(%rax)
        movq    %rbp, 8(%rax)
        movq    %r12, 16(%rax)
        movq    %r13, 24(%rax)
        movq    %r14, 32(%rax)
        movq    %r15, 40(%rax)
        movq    $0, 48(%rax)
        fnstcw  48(%rax)
        movq    $0, 56(%rax)
        stmxcsr 56(%rax)
        xorl    %ecx, %ecx
        cmpq    %rsp, 8(%rsp)
        sete    %cl
        movq    %rcx, 64(%rax)
        fldcw   (%rsp)
        ldmxcsr 4(%rsp)
        addq    $24, %rsp
        POP_CALLEE_SAVED
        ret
        .cfi_endproc
        .size   \name, .-\name
.endm

// CLOBBER_SWITCH name, switch: defines
// void name(void *save, void *load, const uint64_t junk[8]), which fills
// every callee-saved register and both FP control words with junk (regs
// layout as above), calls switch(save, load), and on return restores its
// caller's.
.macro CLOBBER_SWITCH name, switch
        .globl  \name
        .type   \name, @function
        .p2align 4
\name:
        .cfi_startproc
        PUSH_CALLEE_SAVED
        subq    $8, %rsp
        fnstcw  (%rsp)
        stmxcsr 4(%rsp)
        LOAD_PROBE_VALUES %rdx
        call    \switch
        fldcw   (%rsp)
        ldmxcsr 4(%rsp)
        addq    $8, %rsp
        POP_CALLEE_SAVED
        ret
        .cfi_endproc
        .size   \name, .-\name
.endm

        PROBE_SWITCH kb_uctx_probe_switch, kb_uctx_switch
        CLOBBER_SWITCH kb_uctx_probe_clobber_switch, kb_uctx_switch
        PROBE_SWITCH kb_uthread_probe_switch_to, kb_uthread_switch_to
        CLOBBER_SWITCH kb_uthread_probe_clobber_switch_to, kb_uthread_switch_to

        .section .note.GNU-stack,"",@progbits
